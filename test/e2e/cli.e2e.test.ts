import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { startLocalFarm, type LocalFarm } from '@atelier/local-services';
import { requestHash } from '@atelier/cli-app';
import { STATE_FILE_NAME, StateFile, newBatchState, type BatchState } from '@atelier/cli-app';
import { waitUntil } from '../support/api-client.js';
import { decodePng } from '../support/png.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const BIN = path.join(ROOT, 'apps', 'cli', 'bin', 'atelier.js');
const COLOURS = ['red', 'green', 'blue', 'yellow', 'orange', 'purple', 'pink', 'white', 'teal', 'navy'];
const SHAPES = ['circle', 'square', 'triangle', 'diamond', 'ring'];

interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Twenty small, quick requests (64×64, 2–4 steps), each different so every line is its own picture. */
function twentyPrompts(seedBase: number): string {
  return Array.from({ length: 20 }, (_, index) =>
    JSON.stringify({
      prompt: `a ${COLOURS[index % COLOURS.length]} ${SHAPES[index % SHAPES.length]} on a gray background`,
      img_width: 64,
      img_height: 64,
      num_inference_steps: 2 + (index % 3),
      seed: seedBase + index,
    }),
  ).join('\n');
}

async function pngFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.endsWith('.png')).sort();
}

async function loadState(dir: string): Promise<BatchState> {
  const state = await StateFile.load(dir);
  assert.ok(state, `a state file in ${dir}`);
  return state;
}

describe('atelier CLI as a real process against a real farm', () => {
  let farm: LocalFarm;
  let dataDir: string;
  let work: string;

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'atelier-cli-farm-'));
    work = await mkdtemp(path.join(tmpdir(), 'atelier-cli-work-'));
    farm = await startLocalFarm({
      env: { DATA_DIR: dataDir, LOG_LEVEL: 'warn', MODELS_DIR: path.join(dataDir, 'models'), WORKER_TRAINS: 'true' },
      output: process.env.E2E_VERBOSE ? process.stderr : undefined,
    });
  });
  after(async () => {
    await farm?.stop();
    await rm(dataDir, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  });

  function start(args: readonly string[]): { child: ChildProcess; done: Promise<CliRun> } {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: work,
      env: { ...process.env, ATELIER_API_URL: farm.apiUrl, ATELIER_API_KEY: farm.apiKey },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const done = new Promise<CliRun>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, stdout, stderr }));
    });
    return { child, done };
  }

  const cli = (...args: string[]): Promise<CliRun> => start(args).done;

  /** Generations the API accepted in batches so far: the farm's own count, to prove nothing is resubmitted. */
  async function batchSubmissions(): Promise<number> {
    const text = await (await fetch(`${farm.apiUrl}/metrics`, { headers: { authorization: `Bearer ${farm.apiKey}` } })).text();
    const match = /^atelier_generations_submitted_total\{[^}]*kind="batch"[^}]*\} (\d+)$/m.exec(text);
    return match ? Number(match[1]) : 0;
  }

  it('generate writes a PNG of the requested size, prints its path, and status/cancel speak about it', async () => {
    const out = path.join(work, 'single');
    const run = await cli('generate', 'a red circle on a blue background', '--width', '64', '--height', '80', '--steps', '3', '--scheduler', 'Euler', '--seed', '7', '--out', out);
    assert.equal(run.code, 0, run.stderr);
    const printed = run.stdout.trim().split('\n');
    assert.equal(printed.length, 1, run.stdout);
    assert.match(printed[0], /gen_[0-9a-z]+-0\.png$/);
    assert.equal(path.dirname(printed[0]), out);
    const png = decodePng(await readFile(printed[0]));
    assert.equal(png.width, 64);
    assert.equal(png.height, 80);
    assert.match(png.text.parameters, /Seed: 7, Size: 64x80/);
    assert.match(run.stderr, /succeeded/, 'progress went to stderr');

    const id = /(gen_[0-9a-z]+)-0\.png$/.exec(printed[0])?.[1] ?? '';
    const status = await cli('status', id);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, new RegExp(`id\\s+${id}`));
    assert.match(status.stdout, /status\s+succeeded/);
    assert.match(status.stdout, /64×80, 3 steps, seed 7/);

    const statusJson = await cli('--json', 'status', id);
    assert.equal((JSON.parse(statusJson.stdout) as { id: string; status: string }).status, 'succeeded');

    const cancel = await cli('cancel', id);
    assert.equal(cancel.code, 1);
    assert.match(cancel.stderr, new RegExp(`generation ${id} already succeeded \\(already_finished, HTTP 409`));
  });

  it('generate: Ctrl-C cancels the generation on the farm', async () => {
    // The largest, longest request the farm takes, so that it is still running when Ctrl-C comes.
    const { child, done } = start(['generate', 'a purple diamond', '--width', '2048', '--height', '2048', '--steps', '150', '--scheduler', 'Euler', '--out', path.join(work, 'canceled')]);
    let seen = '';
    child.stderr?.on('data', (chunk: Buffer) => (seen += chunk.toString()));
    await waitUntil(() => /running .* step [1-9]/.test(seen), 60_000, 'the generation to run');
    child.kill('SIGINT');
    const run = await done;
    assert.equal(run.code, 130, run.stderr);
    const id = /interrupted: canceled (gen_[0-9a-z]+)/.exec(run.stderr)?.[1];
    assert.ok(id, run.stderr);
    await waitUntil(async () => JSON.parse((await cli('--json', 'status', id)).stdout).status === 'canceled', 30_000, 'the generation to stop');
    assert.deepEqual(await readdir(path.join(work, 'canceled')), []);
  });

  it('generate exits non-zero with the API message when the request is refused', async () => {
    const run = await cli('generate', 'a red circle', '--width', '65', '--out', path.join(work, 'refused'));
    assert.equal(run.code, 1);
    assert.match(run.stderr, /img_width: must be a multiple of 8 \(validation_failed, HTTP 400, POST \/v1\/generations\)/);
  });

  it('models --json prints the raw list; models and schedulers print tables', async () => {
    const json = await cli('models', '--json');
    assert.equal(json.code, 0, json.stderr);
    const list = JSON.parse(json.stdout) as { object: string; data: Array<{ id: string; default_width: number }> };
    assert.equal(list.object, 'list');
    assert.equal(list.data.find((model) => model.id === 'demo-sd15')?.default_width, 256);

    const table = await cli('models');
    assert.match(table.stdout, /^id\s+kind\s+family\s+default size/m);
    assert.match(table.stdout, /^demo-sd15\s+pipeline\s+sd1\s+256×256/m);
    const schedulers = await cli('schedulers');
    assert.match(schedulers.stdout, /^euler-a\s+Euler a\s/m);
  });

  it('batch: 20 prompts become 20 images, with progress lines and a summary; status shows the batch', async () => {
    const input = path.join(work, 'twenty.jsonl');
    const out = path.join(work, 'twenty');
    await writeFile(input, twentyPrompts(100));
    const before = await batchSubmissions();

    const run = await cli('batch', input, '--out', out, '--poll-interval', '200');
    assert.equal(run.code, 0, run.stderr);
    const files = await pngFiles(out);
    assert.equal(files.length, 20);
    for (const file of files) assert.equal(decodePng(await readFile(path.join(out, file))).width, 64);
    const progress = run.stderr.split('\n').filter((line) => /\d+\/20 done, \d+ failed, .*images\/min \| ETA/.test(line));
    assert.ok(progress.length >= 2, run.stderr);
    assert.match(progress.at(-1) ?? '', /\[#{20}\] 20\/20 done, 0 failed/);
    assert.match(run.stdout, /batch finished: 20\/20 lines done, 0 failed, 0 unfinished; 20 images in /);
    assert.equal((await batchSubmissions()) - before, 20);

    const state = await loadState(out);
    const entries = Object.entries(state.lines);
    assert.equal(entries.length, 20);
    assert.ok(entries.every(([, entry]) => entry.status === 'downloaded' && entry.files?.length === 1));
    assert.deepEqual(entries.map(([, entry]) => entry.files?.[0]).sort(), files);

    const batchId = state.lines['1'].batch_id ?? '';
    const status = await cli('status', batchId);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /total\s+20\n/);
    assert.match(status.stdout, /counts\s+20 succeeded/);
    assert.match(status.stdout, new RegExp(`^0\\s+${state.lines['1'].generation_id}\\s+succeeded$`, 'm'));

    const again = await cli('batch', input, '--out', out);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /20\/20 lines done \(20 from an earlier run\)/);
    assert.equal((await batchSubmissions()) - before, 20, 'a finished batch run again submits nothing');
  });

  it('batch: interrupted with Ctrl-C, a re-run resumes without resubmitting what was submitted', async () => {
    const input = path.join(work, 'resume.jsonl');
    const out = path.join(work, 'resume');
    await writeFile(input, twentyPrompts(500));
    const before = await batchSubmissions();
    // Two in flight at a time, so the run is still going after the first few images.
    const args = ['batch', input, '--out', out, '--concurrency', '2', '--poll-interval', '200'];

    const first = start(args);
    await waitUntil(
      async () => {
        const state = await StateFile.load(out).catch(() => undefined);
        return Object.values(state?.lines ?? {}).filter((entry) => entry.status === 'downloaded').length >= 3;
      },
      60_000,
      'three images downloaded',
    );
    first.child.kill('SIGINT');
    const interrupted = await first.done;
    assert.equal(interrupted.code, 130, interrupted.stderr);
    assert.match(interrupted.stderr, /stopping: finishing the calls in flight/);
    assert.match(interrupted.stdout, /^interrupted: \d+\/20 lines done/m);
    assert.match(interrupted.stdout, /run the same command again to resume/);

    const stopped = await loadState(out);
    const submitted = new Map(Object.entries(stopped.lines).map(([line, entry]) => [line, entry.generation_id]));
    const downloaded = Object.values(stopped.lines).filter((entry) => entry.status === 'downloaded');
    assert.ok(submitted.size < 20, `only part of the batch was submitted (${submitted.size})`);
    assert.ok([...submitted.values()].every((id) => id?.startsWith('gen_')), 'every submitted line has its generation id');
    assert.equal((await pngFiles(out)).length, downloaded.length, 'each downloaded line has its file, and no partial files');
    assert.equal((await batchSubmissions()) - before, submitted.size);

    const second = await start(args).done;
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /resuming from .*\.atelier-batch\.json/);
    assert.match(second.stdout, new RegExp(`20/20 lines done \\(${downloaded.length} from an earlier run\\)`));
    assert.equal((await pngFiles(out)).length, 20);

    const finished = await loadState(out);
    for (const [line, id] of submitted) assert.equal(finished.lines[line].generation_id, id, `line ${line} kept its generation`);
    assert.ok(Object.values(finished.lines).every((entry) => entry.status === 'downloaded'));
    assert.equal(new Set(Object.values(finished.lines).map((entry) => entry.generation_id)).size, 20);
    assert.equal((await batchSubmissions()) - before, 20, 'each line was submitted exactly once over both runs');
  });

  it('batch: a submission whose answer was lost is replayed under its Idempotency-Key, not submitted twice', async () => {
    const input = path.join(work, 'replay.jsonl');
    const out = path.join(work, 'replay');
    const requests = [0, 1, 2].map((index) => ({ prompt: `a ${COLOURS[index]} cross`, img_width: 64, img_height: 64, num_inference_steps: 2, seed: 900 + index }));
    await writeFile(input, requests.map((request) => JSON.stringify(request)).join('\n'));
    // What a run killed right after sending its POST leaves behind: the API took the batch, the state only knows the key.
    const key = randomUUID();
    const response = await fetch(`${farm.apiUrl}/v1/batches`, {
      method: 'POST',
      headers: { authorization: `Bearer ${farm.apiKey}`, 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify({ requests }),
    });
    assert.equal(response.status, 202);
    const created = (await response.json()) as { generations: { data: Array<{ id: string }> } };
    const state = newBatchState(farm.apiUrl, input);
    for (const [index, request] of requests.entries()) {
      state.lines[String(index + 1)] = { hash: requestHash(request), status: 'submitting', idempotency_key: key, batch_index: index, updated_at: new Date().toISOString() };
    }
    await mkdir(out, { recursive: true });
    await writeFile(path.join(out, STATE_FILE_NAME), JSON.stringify(state));
    const before = await batchSubmissions();

    const run = await cli('batch', input, '--out', out, '--poll-interval', '200');
    assert.equal(run.code, 0, run.stderr);
    assert.equal((await batchSubmissions()) - before, 0, 'the API replayed the batch it had created');
    const ids = created.generations.data.map((entry) => entry.id);
    assert.deepEqual(await pngFiles(out), ids.map((id) => `${id}-0.png`).sort());
    const finished = await loadState(out);
    assert.deepEqual([1, 2, 3].map((line) => finished.lines[String(line)].generation_id), ids);
  });

  it('batch: a failing line is listed with its line number and the exit code is 1', async () => {
    const input = path.join(work, 'failing.jsonl');
    const out = path.join(work, 'failing');
    const lines = [
      '{"prompt": "a red circle"}',
      '"a blue square"',
      '{"prompt": "a green ring", "scheduler": "Nope Sampler"}',
      '',
      'a pink cross',
      '{"prompt": ',
    ];
    await writeFile(input, lines.join('\n'));
    const run = await cli('batch', input, '--out', out, '--width', '64', '--height', '64', '--steps', '2', '--poll-interval', '200');
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stdout, /3\/5 lines done, 2 failed/);
    assert.match(run.stdout, /failed lines:\n {2}line 3: validation_failed: scheduler: unknown scheduler "Nope Sampler"/);
    assert.match(run.stdout, /\n {2}line 6: invalid_line: not valid JSON/);
    assert.equal((await pngFiles(out)).length, 3);
  });

  it('train zips the folder, uploads it, trains a LoRA and follows it to the end', async () => {
    const dataset = path.join(work, 'dataset');
    await mkdir(dataset, { recursive: true });
    const images = (await pngFiles(path.join(work, 'twenty'))).slice(0, 3);
    for (const [index, image] of images.entries()) {
      await writeFile(path.join(dataset, `${index}.png`), await readFile(path.join(work, 'twenty', image)));
      await writeFile(path.join(dataset, `${index}.txt`), 'a photo of sks');
    }
    const run = await cli('train', dataset, '--trigger', 'sks', '--base-model', 'demo-trainable', '--steps', '20', '--rank', '4', '--resolution', '64', '--save-every', '10');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /dataset: 3 images, 3 captions/);
    assert.match(run.stdout, /trn_[0-9a-f]+ succeeded/);
    // The trained LoRA is listed beside the pipelines: mixed kinds must still parse and print.
    const models = await cli('models', '--json');
    assert.equal(models.code, 0, models.stderr);
    const listed = JSON.parse(models.stdout) as { data: Array<{ id: string; kind: string }> };
    assert.ok(listed.data.some((entry) => entry.kind === 'lora' && entry.id.startsWith('lora:sks-')));
    assert.ok(listed.data.some((entry) => entry.kind === 'pipeline' && entry.id === 'demo-sd15'));
    const table = await cli('models');
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /lora:sks-\S+\s+lora/);
  });

  it('train --method textual_inversion learns a token and registers it as an embedding', async () => {
    const dataset = path.join(work, 'ti-dataset');
    await mkdir(dataset, { recursive: true });
    const images = (await pngFiles(path.join(work, 'twenty'))).slice(0, 3);
    for (const [index, image] of images.entries()) {
      await writeFile(path.join(dataset, `${index}.png`), await readFile(path.join(work, 'twenty', image)));
      await writeFile(path.join(dataset, `${index}.txt`), 'a photo of clitoken');
    }
    const run = await cli('train', dataset, '--method', 'textual_inversion', '--token', 'clitoken', '--init-word', 'pattern', '--num-vectors', '2', '--base-model', 'demo-trainable-pretrained', '--steps', '20', '--resolution', '64', '--save-every', '10');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /trn_[0-9a-f]+ succeeded/);
    const models = await cli('models', '--json');
    assert.equal(models.code, 0, models.stderr);
    const listed = JSON.parse(models.stdout) as { data: Array<{ id: string; kind: string }> };
    assert.ok(listed.data.some((entry) => entry.kind === 'embedding' && entry.id === 'embedding:clitoken'), JSON.stringify(listed.data.map((entry) => entry.id)));
    const missing = await cli('train', dataset, '--method', 'textual_inversion', '--init-word', 'pattern');
    assert.equal(missing.code, 2, missing.stderr);
  });

  it('reports usage errors with exit code 2 and a pointer to --help', async () => {
    const run = await cli('batch', '--out', path.join(work, 'x'));
    assert.equal(run.code, 2);
    assert.match(run.stderr, /expected exactly one input file\nrun `atelier batch --help` for usage/);
    const help = await cli('generate', '--help');
    assert.equal(help.code, 0);
    assert.match(help.stdout, /usage: atelier generate "PROMPT" --out DIR/);
  });
});
