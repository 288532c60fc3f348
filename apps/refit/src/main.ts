import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { RefitError, refitModelFolder } from '@atelier/adapters';
import { convertCheckpointToSafetensors, parseSafetensors } from '@atelier/model-formats';

/**
 * `npm run refit -- --checkpoint FILE --base DIR --out DIR`: serve a fine-tuned Stable Diffusion
 * checkpoint (original key names; `.safetensors`, or a `.ckpt`/`.pt` read by the restricted
 * pickle reader, never executed) by writing its weights into a copy of an ONNX export of the same
 * architecture. Prints the report of unmapped and untouched tensors as JSON.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { checkpoint: { type: 'string' }, base: { type: 'string' }, out: { type: 'string' } },
    strict: true,
  });
  for (const flag of ['checkpoint', 'base', 'out'] as const) {
    if (!values[flag]) throw new Error(`--${flag} is required (usage: npm run refit -- --checkpoint FILE --base EXPORT_DIR --out NEW_MODEL_DIR)`);
  }
  const bytes = new Uint8Array(await readFile(values.checkpoint as string));
  const isSafetensors = (values.checkpoint as string).endsWith('.safetensors');
  const checkpoint = parseSafetensors(isSafetensors ? bytes : convertCheckpointToSafetensors(bytes));
  const report = await refitModelFolder(checkpoint, path.resolve(values.base as string), path.resolve(values.out as string));
  console.log(
    JSON.stringify(
      {
        out: path.resolve(values.out as string),
        components: report.components,
        unmapped: report.unmapped.length,
        unmapped_examples: report.unmapped.slice(0, 10),
        ignored: report.ignored.length,
      },
      null,
      2,
    ),
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof RefitError ? `refused: ${error.message}` : error instanceof Error ? error.message : error);
  process.exit(1);
});
