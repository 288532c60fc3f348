// Atelier web console: plain JavaScript against the public /v1 API, no build step.
// The key lives in localStorage and is sent as a Bearer token; progress arrives over
// Server-Sent Events read with fetch (EventSource cannot send an Authorization header).
/* global document, localStorage, fetch, AbortController, TextDecoderStream, clearInterval, setInterval, FileReader */
'use strict';

const KEY_STORAGE = 'atelier.apiKey';
const FARM_REFRESH_MS = 5000;

const $ = (id) => document.getElementById(id);

const state = {
  key: localStorage.getItem(KEY_STORAGE) || '',
  watching: null, // AbortController of the stream being read
  currentId: null,
  farmTimer: null,
};

/** Builds an element without ever parsing strings as HTML (prompts are user text). */
function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (name === 'class') node.className = value;
    else if (name === 'text') node.textContent = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) node.append(child);
  return node;
}

/** The API's error, its message naming each refused field (`field: problem`) when the body lists them. */
class ApiError extends Error {
  constructor(status, body) {
    const error = body && body.error;
    const details = error && Array.isArray(error.details) ? error.details : [];
    super(details.length > 0 ? details.map((detail) => `${detail.field}: ${detail.message}`).join('; ') : (error && error.message) || `HTTP ${status}`);
    this.status = status;
    this.code = error ? error.code : undefined;
  }
}

async function api(path, options = {}) {
  const headers = { authorization: `Bearer ${state.key}`, ...(options.body ? { 'content-type': 'application/json' } : {}) };
  const response = await fetch(path, { ...options, headers: { ...headers, ...(options.headers || {}) } });
  const body = response.headers.get('content-type')?.includes('json') ? await response.json() : await response.text();
  if (response.status === 401) setKeyStatus('This key was refused (missing, invalid or revoked).', 'bad');
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

function setKeyStatus(text, kind = '') {
  const status = $('key-status');
  status.textContent = text;
  status.className = `key-status ${kind}`;
}

// ---- key --------------------------------------------------------------------------------

async function useKey(key) {
  state.key = key;
  if (!key) {
    localStorage.removeItem(KEY_STORAGE);
    setKeyStatus('No key yet: paste an API key (it stays in this browser\'s localStorage).');
    return;
  }
  localStorage.setItem(KEY_STORAGE, key);
  try {
    await loadCatalog();
    setKeyStatus('Key accepted.', 'ok');
    await Promise.all([loadRecent(), loadFarm()]);
    clearInterval(state.farmTimer);
    state.farmTimer = setInterval(() => loadFarm().catch(() => undefined), FARM_REFRESH_MS);
  } catch (error) {
    if (error.status !== 401) setKeyStatus(`Could not reach the API: ${error.message}`, 'bad');
  }
}

// ---- catalog ----------------------------------------------------------------------------

async function loadCatalog() {
  const [models, schedulers] = await Promise.all([api('/v1/models'), api('/v1/schedulers')]);
  const modelSelect = $('model');
  const chosen = modelSelect.value;
  modelSelect.replaceChildren(
    ...models.data.map((model) => el('option', { value: model.id, text: model.id, title: `${model.family}, ${model.default_width}×${model.default_height}` })),
  );
  if (models.data.length === 0) modelSelect.append(el('option', { value: '', text: 'no live worker yet' }));
  if (chosen && models.data.some((model) => model.id === chosen)) modelSelect.value = chosen;
  updateSizeHints(models.data);
  modelSelect.onchange = () => updateSizeHints(models.data);

  const schedulerSelect = $('scheduler');
  const picked = schedulerSelect.value;
  schedulerSelect.replaceChildren(
    el('option', { value: '', text: 'Model default' }),
    ...schedulers.data.flatMap((scheduler) => [
      el('option', { value: scheduler.label, text: scheduler.label }),
      ...(scheduler.karras ? [el('option', { value: `${scheduler.label} Karras`, text: `${scheduler.label} Karras` })] : []),
    ]),
  );
  schedulerSelect.value = picked;
}

function updateSizeHints(models) {
  const model = models.find((entry) => entry.id === $('model').value);
  if (!model) return;
  $('width').placeholder = String(model.default_width);
  $('height').placeholder = String(model.default_height);
}

// ---- submit and watch -------------------------------------------------------------------

function numberField(id) {
  const raw = $(id).value.trim();
  return raw === '' ? undefined : Number(raw);
}

/** The control image as a data: URL (the API takes it inline like init_image). */
function readDataUrl(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(new Error(`could not read ${file.name}`));
    reader.readAsDataURL(file);
  });
}

/** The image prompt when an IP-Adapter name and images are given; the API checks every value. */
async function ipAdapterFields() {
  const model = $('ip-adapter-model').value.trim();
  const files = [...$('ip-adapter-images').files];
  if (!model && files.length === 0) return {};
  if (!model || files.length === 0) throw new Error('Image prompt: give both an IP-Adapter name and at least one image.');
  const scale = numberField('ip-adapter-scale');
  return { ip_adapter: { model, images: await Promise.all(files.map(readDataUrl)), ...(scale !== undefined ? { scale } : {}) } };
}

/** One ControlNet unit when a name and an image are given; the API checks every value. */
async function controlNetFields() {
  const model = $('controlnet-model').value.trim();
  const file = $('controlnet-image').files[0];
  if (!model && !file) return {};
  if (!model || !file) throw new Error('ControlNet: give both a ControlNet name and a control image.');
  const unit = {
    model,
    image: await readDataUrl(file),
    preprocessor: $('controlnet-preprocessor').value,
    conditioning_scale: numberField('controlnet-scale'),
    guidance_start: numberField('controlnet-start'),
    guidance_end: numberField('controlnet-end'),
  };
  return { controlnets: [Object.fromEntries(Object.entries(unit).filter(([, value]) => value !== undefined))], guess_mode: $('guess-mode').checked };
}

async function requestBody() {
  const body = {
    prompt: $('prompt').value.trim(),
    negative_prompt: $('negative-prompt').value,
    model: $('model').value || undefined,
    scheduler: $('scheduler').value || undefined,
    num_inference_steps: numberField('steps'),
    guidance_scale: numberField('guidance'),
    img_width: numberField('width'),
    img_height: numberField('height'),
    seed: numberField('seed'),
    samples: numberField('samples'),
    ...(await controlNetFields()),
    ...(await ipAdapterFields()),
  };
  return Object.fromEntries(Object.entries(body).filter(([, value]) => value !== undefined));
}

async function submit(event) {
  event.preventDefault();
  $('form-error').textContent = '';
  if (!state.key) {
    $('form-error').textContent = 'Set an API key first.';
    $('api-key').focus();
    return;
  }
  $('submit').disabled = true;
  try {
    const created = await api('/v1/generations', { method: 'POST', body: JSON.stringify(await requestBody()) });
    watch(created.id);
    loadRecent().catch(() => undefined);
  } catch (error) {
    $('form-error').textContent = error.message;
  } finally {
    $('submit').disabled = false;
  }
}

function showJob(text, detail = '') {
  $('job-status').textContent = text;
  $('job-detail').textContent = detail;
}

/**
 * Reads an event stream (a generation's or an image task's) until its final event, after which
 * the server closes it; each `event:`/`data:` block goes to onEvent(name, data).
 */
async function readEventStream(path, signal, onEvent) {
  const response = await fetch(path, { headers: { authorization: `Bearer ${state.key}`, accept: 'text/event-stream' }, signal });
  if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let boundary;
    while ((boundary = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary + 2);
      const name = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (name && data) onEvent(name, JSON.parse(data));
    }
  }
}

/** Reads the generation's event stream until its final event (the server then closes it). */
async function watch(id) {
  if (state.watching) state.watching.abort();
  const controller = new AbortController();
  state.watching = controller;
  state.currentId = id;
  $('result').replaceChildren();
  $('progress').value = 0;
  $('progress').max = 1;
  $('cancel').disabled = false;
  showJob('Submitted', id);
  try {
    await readEventStream(`/v1/generations/${encodeURIComponent(id)}/events`, controller.signal, (name, data) => onEvent(id, name, data));
  } catch (error) {
    if (error.name !== 'AbortError') showJob('Lost the progress stream', error.message);
  } finally {
    if (state.watching === controller) {
      state.watching = null;
      $('cancel').disabled = true;
    }
  }
}

function onEvent(id, name, data) {
  if (name === 'queued') {
    showJob(data.position === null ? 'Queued' : `Queued: ${data.position} ${data.position === 1 ? 'job' : 'jobs'} ahead`, id);
  } else if (name === 'running') {
    showJob('Running', id);
  } else if (name === 'progress') {
    $('progress').max = Math.max(1, data.total);
    $('progress').value = data.step;
    showJob(`Running: step ${data.step} of ${data.total}`, id);
  } else if (name === 'succeeded') {
    $('progress').value = $('progress').max;
    const seconds = data.timings.total_ms !== undefined ? ` in ${(data.timings.total_ms / 1000).toFixed(1)} s` : '';
    showJob(`Succeeded${seconds}`, id);
    renderOutputs(data);
    loadRecent().catch(() => undefined);
  } else if (name === 'failed' || name === 'canceled') {
    showJob(name === 'failed' ? 'Failed' : 'Canceled', data.error ? `${data.error.code}: ${data.error.message}` : id);
    loadRecent().catch(() => undefined);
  } else if (name === 'error') {
    showJob('Progress stream error', data.message);
  }
}

function imageSource(output) {
  return output.url || `data:${output.content_type};base64,${output.base64}`;
}

function renderOutputs(generation) {
  $('result').replaceChildren(
    ...generation.outputs.map((output) =>
      el('figure', {}, [
        el('img', { src: imageSource(output), alt: generation.parameters.prompt, width: String(output.width), height: String(output.height) }),
        el('figcaption', { text: output.kind === 'control' ? `ControlNet ${output.controlnet.index}: ${output.controlnet.model} (${output.controlnet.preprocessor} map)` : `seed ${output.seed} · ${output.width}×${output.height}` }),
      ]),
    ),
  );
}

async function cancelCurrent() {
  if (!state.currentId) return;
  try {
    await api(`/v1/generations/${encodeURIComponent(state.currentId)}/cancel`, { method: 'POST' });
  } catch (error) {
    $('form-error').textContent = error.message;
  }
}

// ---- recent outputs ---------------------------------------------------------------------

async function loadRecent() {
  if (!state.key) return;
  const list = await api('/v1/generations?limit=24');
  const container = $('recent');
  if (list.data.length === 0) {
    container.replaceChildren(el('p', { class: 'muted', text: 'No generations yet.' }));
    return;
  }
  container.replaceChildren(...list.data.map(recentCard));
}

function recentCard(generation) {
  const first = generation.outputs[0];
  const preview = first ? el('img', { src: imageSource(first), alt: generation.parameters.prompt, loading: 'lazy' }) : el('div', { class: 'placeholder', text: generation.status });
  const card = el('button', { type: 'button', class: 'card', title: generation.parameters.prompt }, [
    preview,
    el('span', { class: 'prompt', text: generation.parameters.prompt }),
    el('span', {}, [el('span', { class: `badge ${generation.status}`, text: generation.status }), ` ${new Date(generation.created_at).toLocaleTimeString()}`]),
  ]);
  card.addEventListener('click', () => {
    if (generation.status === 'queued' || generation.status === 'running') {
      watch(generation.id);
      return;
    }
    state.currentId = generation.id;
    showJob(generation.status, generation.id);
    $('result').replaceChildren();
    if (generation.status === 'succeeded') renderOutputs(generation);
  });
  return card;
}

// ---- queues and workers -----------------------------------------------------------------

async function loadFarm() {
  if (!state.key) return;
  const queues = await api('/v1/queues');
  $('queues').tBodies[0].replaceChildren(
    ...queues.data.map((queue) =>
      el('tr', {}, [
        el('td', { text: queue.name }),
        el('td', { text: String(queue.counts.waiting + queue.counts.prioritized) }),
        el('td', { text: String(queue.counts.active) }),
        el('td', { text: String(queue.counts.delayed) }),
        el('td', { text: String(queue.counts.failed) }),
        el('td', { text: queue.draining ? `${queue.workers} (${queue.draining} draining)` : String(queue.workers) }),
      ]),
    ),
  );
  try {
    const workers = await api('/v1/workers');
    $('workers').hidden = false;
    $('workers-note').textContent = workers.data.length === 0 ? 'No live workers.' : '';
    $('workers').tBodies[0].replaceChildren(...workers.data.map(workerRow));
  } catch (error) {
    if (error.status !== 403) throw error;
    $('workers').hidden = true;
    $('workers-note').textContent = 'Worker details need a key with the admin scope.';
  }
}

function workerRow(worker) {
  const device = worker.gpu ? `${worker.gpu.name} (${worker.execution_provider})` : worker.execution_provider;
  const age = Math.max(0, Math.round((Date.now() - Date.parse(worker.last_heartbeat)) / 1000));
  return el('tr', {}, [
    el('td', { text: worker.draining ? `${worker.id} (draining)` : worker.id }),
    el('td', { text: worker.worker_class }),
    el('td', { text: device }),
    el('td', { text: worker.models.join(', ') }),
    el('td', { text: String(worker.current_jobs.length) }),
    el('td', { text: String(worker.jobs_done) }),
    el('td', { text: `${age} s ago` }),
  ]);
}

// ---- wiring -----------------------------------------------------------------------------

document.addEventListener('DOMContentLoaded', () => {
  $('api-key').value = state.key;
  $('key-form').addEventListener('submit', (event) => {
    event.preventDefault();
    useKey($('api-key').value.trim());
  });
  $('forget-key').addEventListener('click', () => {
    $('api-key').value = '';
    clearInterval(state.farmTimer);
    useKey('');
  });
  $('generate-form').addEventListener('submit', submit);
  $('cancel').addEventListener('click', cancelCurrent);
  $('refresh-recent').addEventListener('click', () => loadRecent().catch((error) => ($('form-error').textContent = error.message)));
  if (state.key) useKey(state.key);
});
