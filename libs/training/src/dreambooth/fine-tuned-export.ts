// A fine-tuned UNet checkpoint written into the base export's layout, the way `npm run refit`
// does: configs, tokenizer, scheduler and untouched components are copied, the UNet is rewritten
// with the checkpoint's weights. The folder is a diffusers ONNX export, ready for importPipeline.
import { refitModelFolder, type RefitReport } from '@atelier/adapters';
import { parseSafetensors } from '@atelier/model-formats';
import { TrainingFailedError } from '../engine/trainer-engine.js';

export async function writeFineTunedExport(checkpoint: Uint8Array, baseDir: string, outDir: string): Promise<RefitReport> {
  const report = await refitModelFolder(parseSafetensors(checkpoint), baseDir, outDir);
  const replaced = report.components.reduce((sum, component) => sum + component.replaced, 0);
  // Keys of a whole kohya checkpoint the export has no slot for (EMA, position ids) may stay unmapped; none replaced is no fine-tune.
  if (replaced === 0) throw new TrainingFailedError(`the fine-tuned checkpoint did not fit the base export (nothing replaced; unmapped: ${report.unmapped.slice(0, 3).join(', ') || 'none'})`);
  return report;
}
