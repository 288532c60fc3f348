// Production training on a GPU image: kohya's sd-scripts train_network.py as a child process,
// driven by a generated TOML config, its console output turned into progress events, its step
// checkpoints (and --save_state folders) into TrainingCheckpoints, its output checked before use.
import { spawn } from 'node:child_process';
import { access, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { PreparedTraining, RunOptions, TrainerEngine, TrainingCheckpoint, TrainingEvent, TrainingResult } from '../engine/trainer-engine.js';
import { TrainingCanceledError, TrainingFailedError } from '../engine/trainer-engine.js';
import { InvalidTrainingJobError, type TrainingJob } from '../engine/training-job.js';
import { validateLoraFile } from '../lora/validate-lora-file.js';
import { parseSafetensors } from '@atelier/model-formats';
import { buildKohyaInvocation, samplePromptsFile, type KohyaLayout, type KohyaSettings } from './kohya-command.js';
import { kohyaArchitecture, kohyaScriptPath, validateKohyaEmbedding } from './kohya-textual-inversion.js';
import { writeKohyaDataset, writeKohyaFinetuneMetadata, writeKohyaRegularisation } from './kohya-dataset.js';
import { validateKohyaCheckpoint } from './kohya-dreambooth.js';
import { parseKohyaLine, type KohyaLine } from './kohya-progress.js';
import { LineSplitter } from './line-splitter.js';
import { packDirectory, unpackDirectory } from './state-archive.js';

const OUTPUT_TAIL_LINES = 40;
const SAMPLE_NAME = /_(\d{6})_(\d{2})_[^/]*\.(?:png|jpg|webp)$/;

export class KohyaEngine implements TrainerEngine {
  readonly name = 'kohya';

  constructor(private readonly settings: KohyaSettings) {}

  async prepare(job: TrainingJob): Promise<PreparedTraining> {
    const script = kohyaScriptPath(job.params, this.settings);
    try {
      await access(script);
    } catch {
      throw new TrainingFailedError(
        job.params.method === 'lora' ? `train_network.py not found at ${script} (set KOHYA_TRAIN_NETWORK)` : `${path.basename(script)} not found at ${script} (it is looked for beside KOHYA_TRAIN_NETWORK's train_network.py)`,
      );
    }
    const ownClassPictures = (job.priorImages ?? []).length > 0;
    if (job.params.priorPreservation && this.settings.regDataDir === undefined && !ownClassPictures) {
      throw new InvalidTrainingJobError([{ field: 'priorPreservation', message: 'the Kohya engine needs class images (regDataDir) for prior preservation' }]);
    }
    const workDir = await mkdtemp(path.join(this.settings.workRoot ?? tmpdir(), `atelier-kohya-${job.id.replace(/[^A-Za-z0-9_-]/g, '_')}-`));
    try {
      const trainDataDir = path.join(workDir, 'train');
      const imageFolder = await writeKohyaDataset(trainDataDir, job.params, job.dataset);
      const inJson = job.params.method === 'finetune' ? await writeKohyaFinetuneMetadata(path.join(workDir, 'meta_cap.json'), imageFolder, job.dataset) : undefined;
      const regDataDir = ownClassPictures ? await writeKohyaRegularisation(path.join(workDir, 'reg'), job.params, job.priorImages ?? []) : undefined;
      let samplePromptsPath: string | undefined;
      if (job.params.samplePrompts.length > 0 && job.params.sampleEvery > 0) {
        samplePromptsPath = path.join(workDir, 'sample-prompts.txt');
        await writeFile(samplePromptsPath, `${samplePromptsFile(job.params)}\n`);
      }
      return new KohyaTraining(job, this.settings, workDir, { trainDataDir: inJson === undefined ? trainDataDir : imageFolder, inJson, regDataDir, outputDir: path.join(workDir, 'output'), configPath: path.join(workDir, 'train.toml'), samplePromptsPath });
    } catch (error) {
      await rm(workDir, { recursive: true, force: true });
      throw error;
    }
  }
}

/** A LoRA (rank as asked), an embedding of the job's architecture and vector count, or a DreamBooth checkpoint. */
function validateTrainedWeights(job: TrainingJob, settings: KohyaSettings, bytes: Uint8Array): void {
  const { params } = job;
  if (params.method === 'dreambooth' || params.method === 'finetune') {
    validateKohyaCheckpoint(bytes);
  } else if (params.method === 'textual_inversion' && params.textualInversion !== undefined) {
    validateKohyaEmbedding(bytes, { numVectors: params.textualInversion.numVectors, architecture: kohyaArchitecture(params, settings) });
  } else {
    validateLoraFile(bytes, { rank: params.network.rank });
  }
}

const stepName = (outputName: string, step: number): string => `${outputName}-step${String(step).padStart(8, '0')}`;

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

class KohyaTraining implements PreparedTraining {
  readonly totalSteps: number;

  constructor(
    private readonly job: TrainingJob,
    private readonly settings: KohyaSettings,
    private readonly workDir: string,
    private readonly layout: KohyaLayout,
  ) {
    this.totalSteps = job.params.maxTrainSteps;
  }

  async dispose(): Promise<void> {
    await rm(this.workDir, { recursive: true, force: true });
  }

  async run(options: RunOptions = {}): Promise<TrainingResult> {
    const { params } = this.job;
    const startStep = options.resumeFrom?.step ?? 0;
    if (options.signal?.aborted) throw new TrainingCanceledError(startStep, options.signal.reason);
    await rm(this.layout.outputDir, { recursive: true, force: true });
    await mkdir(this.layout.outputDir, { recursive: true });
    const layout: KohyaLayout = { ...this.layout, resume: options.resumeFrom ? await this.unpackResume(options.resumeFrom) : undefined };
    const invocation = buildKohyaInvocation(params, this.settings, layout);
    await writeFile(layout.configPath, invocation.configToml);

    const monitor = new ProgressMonitor(this.job, this.settings, this.layout.outputDir, startStep, options.onProgress);
    await monitor.emit({ type: 'started', step: startStep, totalSteps: this.totalSteps, resumed: options.resumeFrom !== undefined });
    const exit = await this.runChild(invocation.command, invocation.args, monitor, options.signal);
    await monitor.settle();
    if (exit.canceled) throw new TrainingCanceledError(monitor.lastStep, options.signal?.reason);
    if (monitor.failure !== undefined) throw monitor.failure;
    if (exit.code !== 0) {
      throw new TrainingFailedError(`${this.scriptName()} exited with ${exit.signal ?? `code ${exit.code}`} at step ${monitor.lastStep}`, monitor.tail.join('\n'));
    }
    await monitor.flushCheckpoint();
    await monitor.scanSamples();
    if (monitor.failure !== undefined) throw monitor.failure;

    const finalPath = path.join(this.layout.outputDir, `${params.outputName}.safetensors`);
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(finalPath));
    } catch {
      throw new TrainingFailedError(`${this.scriptName()} finished but wrote no ${params.outputName}.safetensors`, monitor.tail.join('\n'));
    }
    if (params.method !== 'lora') {
      validateTrainedWeights(this.job, this.settings, bytes);
      return { safetensors: bytes, metadata: parseSafetensors(bytes).metadata, steps: params.maxTrainSteps, finalLoss: monitor.lastLoss };
    }
    const { file } = validateLoraFile(bytes, { rank: params.network.rank, requiredMetadata: ['ss_network_dim', 'ss_network_alpha'] });
    return { safetensors: bytes, metadata: file.metadata, steps: params.maxTrainSteps, finalLoss: monitor.lastLoss };
  }

  private scriptName(): string {
    return this.job.params.method === 'lora' ? 'train_network.py' : path.basename(kohyaScriptPath(this.job.params, this.settings));
  }

  private async unpackResume(checkpoint: TrainingCheckpoint): Promise<KohyaLayout['resume']> {
    validateTrainedWeights(this.job, this.settings, checkpoint.loraState);
    const resumeDir = path.join(this.workDir, 'resume');
    await rm(resumeDir, { recursive: true, force: true });
    await mkdir(resumeDir, { recursive: true });
    if (checkpoint.optimizerState.byteLength > 0) {
      const stateDir = path.join(resumeDir, 'state');
      await unpackDirectory(checkpoint.optimizerState, stateDir);
      return { stateDir };
    }
    const networkWeights = path.join(resumeDir, 'network.safetensors');
    await writeFile(networkWeights, checkpoint.loraState);
    return { networkWeights, initialStep: checkpoint.step };
  }

  private runChild(command: string, args: readonly string[], monitor: ProgressMonitor, signal: AbortSignal | undefined) {
    return new Promise<{ code: number | null; signal: NodeJS.Signals | null; canceled: boolean }>((resolve, reject) => {
      const child = spawn(command, args, {
        cwd: this.workDir,
        env: { ...process.env, PYTHONUNBUFFERED: '1', ...(this.settings.env ?? {}) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let canceled = false;
      let killTimer: NodeJS.Timeout | undefined;
      const stop = (): void => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        killTimer = setTimeout(() => child.kill('SIGKILL'), this.settings.killGraceMs ?? 10_000);
        killTimer.unref();
      };
      const onAbort = (): void => {
        canceled = true;
        stop();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      monitor.onFailure = stop;
      for (const stream of [child.stdout, child.stderr]) {
        const splitter = new LineSplitter();
        stream.on('data', (chunk: Buffer) => {
          for (const line of splitter.push(chunk)) monitor.line(line);
          monitor.peek(splitter.pendingLine());
        });
        stream.on('end', () => {
          for (const line of splitter.end()) monitor.line(line);
        });
      }
      child.on('error', (error) => {
        signal?.removeEventListener('abort', onAbort);
        reject(new TrainingFailedError(`cannot start ${command}: ${error.message}`));
      });
      child.on('close', (code, exitSignal) => {
        clearTimeout(killTimer);
        signal?.removeEventListener('abort', onAbort);
        resolve({ code, signal: exitSignal, canceled });
      });
    });
  }
}

/**
 * Turns output lines into events, in order: events are handed to the (async) callback one at a
 * time on a chain; a checkpoint is emitted once the step after it starts (or the process ends),
 * because kohya writes the --save_state folder after announcing the weights. A resumed kohya
 * process counts steps (its bar, its file names) from 0 again, so they are offset by the step
 * the run resumed from.
 */
class ProgressMonitor {
  lastStep: number;
  lastLoss: number | null = null;
  failure: Error | undefined;
  onFailure: (() => void) | undefined;
  readonly tail: string[] = [];
  private epoch = 0;
  private chain: Promise<void> = Promise.resolve();
  private pending: { path: string; step: number; kohyaStep: number } | undefined;
  private readonly seenSamples = new Set<string>();

  constructor(
    private readonly job: TrainingJob,
    private readonly settings: KohyaSettings,
    private readonly outputDir: string,
    private readonly startStep: number,
    private readonly onProgress: RunOptions['onProgress'],
  ) {
    this.lastStep = startStep;
  }

  emit(event: TrainingEvent): Promise<void> {
    return this.enqueue(async () => {
      await this.onProgress?.(event);
    });
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    this.chain = this.chain.then(async () => {
      if (this.failure !== undefined) return;
      try {
        await task();
      } catch (error) {
        this.failure = error instanceof Error ? error : new Error(String(error));
        this.onFailure?.();
      }
    });
    return this.chain;
  }

  settle(): Promise<void> {
    return this.chain;
  }

  line(text: string): void {
    this.tail.push(text);
    if (this.tail.length > OUTPUT_TAIL_LINES) this.tail.shift();
    const parsed = parseKohyaLine(text);
    if (parsed !== undefined) this.handle(parsed);
  }

  /** An unterminated tqdm redraw: used once its postfix is complete, and only for progress. */
  peek(text: string): void {
    if (!text.trimEnd().endsWith(']')) return;
    const parsed = parseKohyaLine(text);
    if (parsed?.kind === 'step') this.handle(parsed);
  }

  private handle(parsed: KohyaLine): void {
    const totalSteps = this.job.params.maxTrainSteps;
    switch (parsed.kind) {
      case 'step': {
        const loss = parsed.loss ?? parsed.averageLoss;
        const step = this.startStep + parsed.step;
        if (step <= this.lastStep || loss === undefined) return;
        this.lastStep = step;
        this.lastLoss = loss;
        if (this.pending !== undefined && step > this.pending.step) void this.flushCheckpoint();
        void this.emit({
          type: 'step',
          step,
          totalSteps,
          epoch: this.epoch,
          loss,
          averageLoss: parsed.averageLoss ?? loss,
          learningRate: parsed.learningRate ?? this.job.params.learningRate,
        });
        void this.scanSamples();
        return;
      }
      case 'epoch':
        this.epoch = parsed.epoch;
        void this.emit({ type: 'epoch', epoch: parsed.epoch, totalEpochs: parsed.totalEpochs });
        return;
      case 'checkpoint':
        // The final file is announced the same way; only step files are checkpoints.
        if (parsed.step !== undefined) {
          if (this.pending !== undefined) void this.flushCheckpoint();
          this.pending = { path: parsed.path, step: this.startStep + parsed.step, kohyaStep: parsed.step };
        }
        return;
      case 'state':
        return;
    }
  }

  /** Emits the pending checkpoint: its weights (validated) and its --save_state folder, when there is one. */
  flushCheckpoint(): Promise<void> {
    const pending = this.pending;
    this.pending = undefined;
    if (pending === undefined) return this.chain;
    return this.enqueue(async () => {
      const file = path.isAbsolute(pending.path) ? pending.path : path.join(this.outputDir, pending.path);
      const loraState = new Uint8Array(await readFile(file));
      validateTrainedWeights(this.job, this.settings, loraState);
      const stateDir = path.join(this.outputDir, `${stepName(this.job.params.outputName, pending.kohyaStep)}-state`);
      const optimizerState = (await exists(stateDir)) ? await packDirectory(stateDir) : new Uint8Array(0);
      await this.onProgress?.({ type: 'checkpoint', checkpoint: { step: pending.step, loraState, optimizerState } });
    });
  }

  /** sd-scripts writes previews to output/sample/<name>_<step:06>_<prompt:02>_<time>.png. */
  scanSamples(): Promise<void> {
    const prompts = this.job.params.samplePrompts;
    if (prompts.length === 0 || this.job.params.sampleEvery === 0) return this.chain;
    return this.enqueue(async () => {
      const dir = path.join(this.outputDir, 'sample');
      const names = await readdir(dir).catch(() => [] as string[]);
      for (const name of names.sort()) {
        const match = SAMPLE_NAME.exec(name);
        if (match === null || this.seenSamples.has(name)) continue;
        this.seenSamples.add(name);
        const prompt = prompts[Number(match[2])] ?? '';
        await this.onProgress?.({ type: 'sample', step: this.startStep + Number(match[1]), prompt, path: path.join(dir, name) });
      }
    });
  }
}
