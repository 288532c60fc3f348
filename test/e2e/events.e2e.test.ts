import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { GenerationView } from '@atelier/contracts';
import { encodePng, toRgb8 } from '@atelier/diffusion';
import { writeZip } from '@atelier/model-formats/testing';
import { checkerboardDataset } from '@atelier/training/testing';
import { TestApiClient } from '../support/api-client.js';
import { startFarmFixture, type FarmFixture } from '../support/farm-fixture.js';

interface ServerEvent {
  readonly event: string;
  readonly data: Record<string, unknown>;
}

const TINY = { model: 'demo-sd15', prompt: 'a red circle on a blue background', img_width: 64, img_height: 64, num_inference_steps: 2, scheduler: 'Euler' } as const;
/** ~20 ms a step at 2048×2048 on the demo model: seconds of work, canceled once it has served its purpose. */
const SLOW = { ...TINY, prompt: 'a yellow triangle', img_width: 2048, img_height: 2048, num_inference_steps: 500, scheduler: 'DDIM' } as const;
/** Long enough (a few hundred ms of steps) for the 250 ms poll to see it mid-way. */
const WATCHED = { ...TINY, img_width: 1024, img_height: 1024, num_inference_steps: 300 } as const;

/** Parses a text/event-stream body; the generator ends when the server closes the stream. */
async function* readEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<ServerEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    for (let boundary = buffer.indexOf('\n\n'); boundary >= 0; boundary = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      if (data.length > 0) yield { event, data: JSON.parse(data.join('\n')) as Record<string, unknown> };
    }
  }
}

describe('live progress over Server-Sent Events (real farm)', () => {
  let fixture: FarmFixture;

  const open = async (path: string, key = fixture.farm.apiKey, signal?: AbortSignal): Promise<Response> =>
    fetch(`${fixture.farm.apiUrl}${path}`, { headers: { authorization: `Bearer ${key}`, accept: 'text/event-stream' }, signal });

  before(async () => {
    fixture = await startFarmFixture({ RATE_LIMIT_PER_MINUTE: '1000', MAX_STEPS: '500', WORKER_TRAINS: 'true' });
  });
  after(async () => {
    await fixture?.stop();
  });

  it('streams queued → running → progress (monotonic) → succeeded, then closes; jobs behind others report their queue position', async () => {
    const slow = await fixture.api.request<GenerationView>('POST', '/v1/generations', SLOW);
    assert.equal(slow.status, 202);
    await fixture.api.waitFor<GenerationView>(`/v1/generations/${slow.body.id}`, (body) => body.status === 'running');
    const watched = await fixture.api.request<GenerationView>('POST', '/v1/generations', WATCHED);
    const follower = await fixture.api.request<GenerationView>('POST', '/v1/generations', TINY);
    assert.equal(watched.status, 202);
    assert.equal(follower.status, 202);

    const leaving = new AbortController();
    const followerStream = await open(`/v1/generations/${follower.body.id}/events`, fixture.farm.apiKey, leaving.signal);
    assert.equal(followerStream.status, 200);
    assert.match(followerStream.headers.get('content-type') ?? '', /^text\/event-stream/);
    const followerFirst = await readEvents(followerStream.body as ReadableStream<Uint8Array>).next();
    assert.equal(followerFirst.value?.event, 'queued');
    assert.equal(followerFirst.value?.data.id, follower.body.id);
    assert.ok(Number(followerFirst.value?.data.position) >= 1, `a job behind a queued one is not first: ${JSON.stringify(followerFirst.value?.data)}`);
    leaving.abort();

    const stream = await open(`/v1/generations/${watched.body.id}/events`);
    assert.equal(stream.status, 200);
    const events: ServerEvent[] = [];
    const collected = (async () => {
      for await (const event of readEvents(stream.body as ReadableStream<Uint8Array>)) events.push(event);
    })();
    const deadline = Date.now() + 10_000;
    while (events.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(events[0]?.event, 'queued', JSON.stringify(events));
    assert.equal(events[0].data.position, 0, 'the next job in line has nobody ahead of it');

    assert.equal((await fixture.api.request('POST', `/v1/generations/${slow.body.id}/cancel`)).status, 202);
    await collected; // the server closes the stream after the final event

    const names = events.map((event) => event.event);
    assert.equal(names.at(-1), 'succeeded', names.join(' '));
    assert.deepEqual(
      names.filter((name) => name !== 'progress' && name !== 'queued'),
      ['running', 'succeeded'],
      names.join(' '),
    );
    assert.ok(names.indexOf('running') > names.lastIndexOf('queued'), names.join(' '));
    const steps = events.filter((event) => event.event === 'progress').map((event) => Number(event.data.step));
    assert.ok(steps.length >= 2, `progress seen while running: ${steps.join(', ')}`);
    assert.ok(
      steps.every((step, index) => index === 0 || step > steps[index - 1]),
      `steps increase: ${steps.join(', ')}`,
    );
    assert.equal(steps.at(-1), 300);
    assert.ok(names.indexOf('progress') > names.indexOf('running'));
    const final = events.at(-1)?.data as unknown as GenerationView;
    assert.equal(final.id, watched.body.id);
    assert.equal(final.status, 'succeeded');
    assert.equal(final.outputs.length, 1);
    assert.deepEqual(final.progress, { step: 300, total: 300 });

    await fixture.api.waitFor<GenerationView>(`/v1/generations/${follower.body.id}`);
  });

  it('a finished generation gives its final event at once; another tenant gets 404', async () => {
    const created = await fixture.api.request<GenerationView>('POST', '/v1/generations', TINY);
    await fixture.api.waitFor<GenerationView>(`/v1/generations/${created.body.id}`);
    const stream = await open(`/v1/generations/${created.body.id}/events`);
    const events: ServerEvent[] = [];
    for await (const event of readEvents(stream.body as ReadableStream<Uint8Array>)) events.push(event);
    assert.deepEqual(
      events.map((event) => event.event),
      ['progress', 'succeeded'],
    );

    const key = await fixture.api.request<{ key: string }>('POST', '/v1/admin/keys', { tenant: 'mallory', scopes: ['generate'] });
    assert.equal(key.status, 201);
    const other = await open(`/v1/generations/${created.body.id}/events`, key.body.key);
    assert.equal(other.status, 404);
    assert.equal(((await other.json()) as { error: { code: string } }).error.code, 'not_found');
    const batch = await fixture.api.request<{ id: string }>('POST', '/v1/batches', { requests: [TINY] });
    assert.equal((await open(`/v1/batches/${batch.body.id}/events`, key.body.key)).status, 404);
    assert.equal((await open('/v1/generations/gen_missing/events')).status, 404);
    assert.equal((await open(`/v1/generations/${created.body.id}/events`, 'atl_000000000000_notarealkeynotarealkey')).status, 401);
    assert.equal((await new TestApiClient(fixture.farm.apiUrl, key.body.key).request('GET', `/v1/generations/${created.body.id}`)).status, 404);
  });

  it('streams a batch: counts as they change, then completed, then closes', async () => {
    const batch = await fixture.api.request<{ id: string }>('POST', '/v1/batches', { requests: [TINY, TINY, TINY] });
    assert.equal(batch.status, 202);
    const stream = await open(`/v1/batches/${batch.body.id}/events`);
    assert.equal(stream.status, 200);
    const events: ServerEvent[] = [];
    for await (const event of readEvents(stream.body as ReadableStream<Uint8Array>)) events.push(event);
    assert.equal(events[0].event, 'counts');
    assert.equal(events[0].data.total, 3);
    const last = events.at(-1);
    assert.equal(last?.event, 'completed');
    assert.equal(last?.data.status, 'completed');
    assert.deepEqual((last?.data.counts as Record<string, number>).succeeded, 3);
    const lastCounts = events.filter((event) => event.event === 'counts').at(-1)?.data.counts as Record<string, number>;
    assert.equal(lastCounts.succeeded, 3);
  });

  it('streams a training: running, progress with losses, checkpoints, then succeeded', async () => {
    const examples = checkerboardDataset(2);
    const zip = writeZip(
      examples.flatMap((example) => [
        { name: example.name, data: encodePng(toRgb8(example.image.data), example.image.width, example.image.height) },
        { name: example.name.replace(/\.png$/, '.txt'), data: new TextEncoder().encode(example.caption) },
      ]),
    );
    const ticket = await fixture.api.request<{ id: string; upload_url: string; headers: Record<string, string> }>('POST', '/v1/uploads', {});
    assert.equal(ticket.status, 201, JSON.stringify(ticket.body));
    assert.ok((await fetch(ticket.body.upload_url, { method: 'PUT', headers: ticket.body.headers, body: Buffer.from(zip) })).ok);
    const created = await fixture.api.request<{ id: string }>('POST', '/v1/trainings', { base_model: 'demo-trainable', dataset: ticket.body.id, trigger_word: 'zxq', steps: 40, save_every: 20, resolution: 64 });
    assert.equal(created.status, 202, JSON.stringify(created.body));

    const stream = await open(`/v1/trainings/${created.body.id}/events`);
    assert.equal(stream.status, 200);
    const events: ServerEvent[] = [];
    for await (const event of readEvents(stream.body as ReadableStream<Uint8Array>)) events.push(event);
    const names = events.map((event) => event.event);
    assert.equal(names.at(-1), 'succeeded', names.join(' '));
    const steps = events.filter((event) => event.event === 'progress').map((event) => Number(event.data.step));
    assert.ok(steps.length >= 1 && steps.at(-1) === 40, `progress: ${steps.join(', ')}`);
    assert.ok(
      steps.every((step, index) => index === 0 || step > steps[index - 1]),
      `steps increase: ${steps.join(', ')}`,
    );
    assert.equal(typeof events.find((event) => event.event === 'progress')?.data.loss, 'number');
    const final = events.at(-1)?.data as { object: string; status: string; checkpoints: Array<{ step: number }> };
    assert.equal(final.object, 'training');
    assert.equal(final.status, 'succeeded');
    assert.ok(final.checkpoints.length >= 1, 'save_every 20 writes checkpoints');
    assert.deepEqual(
      events.filter((event) => event.event === 'checkpoint').map((event) => event.data.step),
      final.checkpoints.map((checkpoint) => checkpoint.step),
      'one checkpoint event per checkpoint written',
    );

    const key = await fixture.api.request<{ key: string }>('POST', '/v1/admin/keys', { tenant: 'eve', scopes: ['generate', 'train'] });
    assert.equal((await open(`/v1/trainings/${created.body.id}/events`, key.body.key)).status, 404);
  });
});
