import type { GraphBuilder } from '@atelier/onnx-graph';
import type { SavedModel } from '@atelier/onnx-graph';
import { saveModelProto } from '../variants/save-model-proto.js';

/**
 * Saves a graph with the node names torch.onnx gives: GraphBuilder appends "_node" to every node
 * name, exporters do not, and module paths ("/mid_block/attentions.0/proj_out/MatMul") are how
 * LoRA merging finds a layer.
 */
export async function saveExportModel(graph: GraphBuilder, modelPath: string, options: { readonly externalData: boolean }): Promise<SavedModel> {
  const { proto } = graph.toModelProto();
  for (const node of proto.graph?.node ?? []) {
    const name = node.name ?? '';
    if (name.startsWith('/')) node.name = name.replace(/_node(_\d+)?$/, '$1');
  }
  return saveModelProto(proto, modelPath, options);
}
