import type * as ort from 'onnxruntime-node';
import type { SessionPool } from '../../runtime/session-pool.js';

/** One input of a recorded session.run call: its dims, and a copy of its data when it is float32. */
export interface RecordedInput {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data?: Float32Array;
}

export type RecordedRun = Readonly<Record<string, RecordedInput>>;

export interface SessionSpy {
  /** Every run of the session since the spy was installed, in call order. */
  readonly runs: RecordedRun[];
  /** Forgets the runs recorded so far. */
  clear(): void;
  /** Puts the session's own run back and releases the lease the spy held. */
  restore(): void;
}

type RunFunction = (...args: unknown[]) => Promise<ort.InferenceSession.ReturnType>;

/**
 * Records every `run` of the pooled session for `modelPath`. The pool hands the same session
 * object to every job that asks for that file, so the pipeline's own calls are the ones recorded;
 * the spy holds a lease until `restore` so the session cannot be evicted and reloaded unwrapped.
 */
export async function spyOnSession(pool: SessionPool, modelPath: string): Promise<SessionSpy> {
  const lease = await pool.acquire(modelPath);
  const session = lease.session;
  const original = session.run as RunFunction;
  const runs: RecordedRun[] = [];
  const spy: RunFunction = (...args) => {
    const feeds = args[0] as ort.InferenceSession.FeedsType;
    const recorded: Record<string, RecordedInput> = {};
    for (const [name, tensor] of Object.entries(feeds)) {
      recorded[name] = {
        type: tensor.type,
        dims: [...tensor.dims],
        data: tensor.type === 'float32' ? Float32Array.from(tensor.data as Float32Array) : undefined,
      };
    }
    runs.push(recorded);
    return original.apply(session, args);
  };
  (session as { run: RunFunction }).run = spy;
  let restored = false;
  return {
    runs,
    clear: () => {
      runs.length = 0;
    },
    restore: () => {
      if (restored) return;
      restored = true;
      Reflect.deleteProperty(session, 'run');
      if (session.run !== original) (session as { run: RunFunction }).run = original;
      lease.release();
    },
  };
}

/** The dims of a recorded input, failing loudly when the run did not feed it. */
export function inputDims(run: RecordedRun, name: string): readonly number[] {
  const input = run[name];
  if (!input) throw new Error(`run had no input "${name}" (inputs: ${Object.keys(run).join(', ')})`);
  return input.dims;
}

/** The float32 data of a recorded input. */
export function inputData(run: RecordedRun, name: string): Float32Array {
  const data = run[name]?.data;
  if (!data) throw new Error(`run had no float32 input "${name}"`);
  return data;
}
