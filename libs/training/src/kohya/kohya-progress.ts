// Reads kohya sd-scripts' console output:
//   steps:  12%|█▏        | 120/1000 [01:23<10:12,  1.44it/s, avr_loss=0.123]   (tqdm, on stderr)
//   epoch 2/10                                                                   (accelerator.print)
//   saving checkpoint: /out/zxq-step00000120.safetensors                        (print or logger.info)
//   saving state at step 120
// Step numbers are as kohya prints them: counted from 0 by the running process (a resumed process
// restarts its count, see KohyaEngine), the "validation steps:" bar is not a training step.

export type KohyaLine =
  | { readonly kind: 'step'; readonly step: number; readonly total: number; readonly loss?: number; readonly averageLoss?: number; readonly learningRate?: number }
  | { readonly kind: 'epoch'; readonly epoch: number; readonly totalEpochs: number }
  | { readonly kind: 'checkpoint'; readonly path: string; readonly step?: number }
  | { readonly kind: 'state'; readonly step: number };

const STEPS = /^\s*steps:\s+\d+%\|[^|]*\|\s*(\d+)\/(\d+)(?:\s*\[([^\]]*)\])?/;
const EPOCH = /^\s*epoch (\d+)\/(\d+)\s*$/;
const CHECKPOINT = /saving checkpoint: (.+?\.safetensors)(?:\s|$)/;
const STATE = /saving state at step (\d+)/;
const STEP_IN_NAME = /-step(\d+)\.safetensors$/;

function postfix(bracket: string | undefined): Record<string, number> {
  const values: Record<string, number> = {};
  for (const part of (bracket ?? '').split(',')) {
    const match = /^\s*([A-Za-z_]+)=([-+0-9.eE]+|nan|inf)\s*$/.exec(part);
    if (match !== null) values[match[1]] = Number(match[2]);
  }
  return values;
}

export function parseKohyaLine(line: string): KohyaLine | undefined {
  const steps = STEPS.exec(line);
  if (steps !== null) {
    const values = postfix(steps[3]);
    return {
      kind: 'step',
      step: Number(steps[1]),
      total: Number(steps[2]),
      ...(values.loss !== undefined ? { loss: values.loss } : {}),
      ...(values.avr_loss !== undefined ? { averageLoss: values.avr_loss } : {}),
      ...(values.lr !== undefined ? { learningRate: values.lr } : {}),
    };
  }
  const epoch = EPOCH.exec(line);
  if (epoch !== null) return { kind: 'epoch', epoch: Number(epoch[1]), totalEpochs: Number(epoch[2]) };
  const checkpoint = CHECKPOINT.exec(line);
  if (checkpoint !== null) {
    const path = checkpoint[1].trim();
    const step = STEP_IN_NAME.exec(path);
    return { kind: 'checkpoint', path, ...(step !== null ? { step: Number(step[1]) } : {}) };
  }
  const state = STATE.exec(line);
  if (state !== null) return { kind: 'state', step: Number(state[1]) };
  return undefined;
}
