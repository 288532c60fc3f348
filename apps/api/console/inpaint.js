// Atelier web console, Inpaint view: click-to-mask with Segment Anything (POST /v1/segmentations),
// then an inpainting generation with the image as init_image and the mask as mask_image.
// Loaded after console.js, whose helpers ($, el, api, state, watch, readDataUrl, readEventStream) it uses.
/* global document, fetch, AbortController, clearTimeout, createImageBitmap, $, api, state, watch, readDataUrl, readEventStream, loadRecent, numberField */
'use strict';

/** Clicks within this long of each other become one segmentation request. */
const SEGMENT_DEBOUNCE_MS = 250;
/** The overlay's colour and opacity over the selected pixels (premultiplied into the drawn image). */
const OVERLAY_RGB = [59, 91, 219];
const OVERLAY_ALPHA = 0.55;
const POINT_RADIUS = 4;

const inpaint = {
  image: null, // ImageBitmap of the chosen file
  imageUrl: null, // the same file as a data: URL (the API takes images inline)
  points: [], // { x, y, label } in image pixels
  mask: null, // ImageData of the current mask (white = change)
  maskUrl: null, // the mask as a PNG data: URL
  timer: null,
  request: 0, // sequence number: only the latest segmentation's answer is drawn
  controller: null,
};

function setInpaintStatus(text) {
  $('inpaint-status').textContent = text;
}

async function chooseImage() {
  const file = $('inpaint-image').files[0];
  resetMask();
  inpaint.image = null;
  inpaint.imageUrl = null;
  if (!file) {
    draw();
    setInpaintStatus('No image yet.');
    return;
  }
  try {
    inpaint.image = await createImageBitmap(file);
    inpaint.imageUrl = await readDataUrl(file);
  } catch {
    inpaint.image = null;
    $('inpaint-error').textContent = `image: could not decode ${file.name}`;
    return;
  }
  const canvas = $('inpaint-canvas');
  canvas.width = inpaint.image.width;
  canvas.height = inpaint.image.height;
  draw();
  setInpaintStatus(`${inpaint.image.width}×${inpaint.image.height}: click the part to change.`);
}

/** Forgets the points and the mask; a segmentation still in flight is dropped. */
function resetMask() {
  clearTimeout(inpaint.timer);
  if (inpaint.controller) inpaint.controller.abort();
  inpaint.request += 1;
  inpaint.points = [];
  inpaint.mask = null;
  inpaint.maskUrl = null;
  $('inpaint-error').textContent = '';
}

/** The image, the mask tinted over it, and the clicked points (green on, red off the object). */
function draw() {
  const canvas = $('inpaint-canvas');
  const context = canvas.getContext('2d');
  context.clearRect(0, 0, canvas.width, canvas.height);
  if (!inpaint.image) return;
  context.drawImage(inpaint.image, 0, 0);
  if (inpaint.mask) {
    const pixels = context.getImageData(0, 0, canvas.width, canvas.height);
    const mask = inpaint.mask.data;
    for (let i = 0; i < pixels.data.length; i += 4) {
      if (mask[i] < 128) continue;
      for (let c = 0; c < 3; c++) pixels.data[i + c] = Math.round(pixels.data[i + c] * (1 - OVERLAY_ALPHA) + OVERLAY_RGB[c] * OVERLAY_ALPHA);
    }
    context.putImageData(pixels, 0, 0);
  }
  for (const point of inpaint.points) {
    context.beginPath();
    context.arc(point.x, point.y, POINT_RADIUS, 0, 2 * Math.PI);
    context.fillStyle = point.label === 'positive' ? '#2b8a3e' : '#c92a2a';
    context.fill();
    context.strokeStyle = '#ffffff';
    context.stroke();
  }
}

/** A click in CSS pixels → image pixels (the canvas is scaled to fit the panel). */
function imagePoint(event) {
  const canvas = $('inpaint-canvas');
  const box = canvas.getBoundingClientRect();
  const x = ((event.clientX - box.left) * canvas.width) / box.width;
  const y = ((event.clientY - box.top) * canvas.height) / box.height;
  return { x: Math.min(canvas.width, Math.max(0, Math.round(x))), y: Math.min(canvas.height, Math.max(0, Math.round(y))) };
}

function addPoint(event, label) {
  event.preventDefault();
  if (!inpaint.image) return;
  if (!state.key) {
    $('inpaint-error').textContent = 'Set an API key first.';
    return;
  }
  inpaint.points.push({ ...imagePoint(event), label });
  draw();
  clearTimeout(inpaint.timer);
  inpaint.timer = setTimeout(() => segment().catch((error) => ($('inpaint-error').textContent = error.message)), SEGMENT_DEBOUNCE_MS);
}

/** One segmentation task with every point so far; its mask replaces the previous one. */
async function segment() {
  if (inpaint.controller) inpaint.controller.abort();
  const request = ++inpaint.request;
  const controller = new AbortController();
  inpaint.controller = controller;
  $('inpaint-error').textContent = '';
  setInpaintStatus(`Segmenting (${inpaint.points.length} ${inpaint.points.length === 1 ? 'point' : 'points'})…`);
  const created = await api('/v1/segmentations', { method: 'POST', body: JSON.stringify({ image: inpaint.imageUrl, points: inpaint.points }) });
  const task = await finalTask(`/v1/segmentations/${encodeURIComponent(created.id)}/events`, controller.signal);
  if (request !== inpaint.request) return;
  if (task.status !== 'succeeded') {
    setInpaintStatus(`Segmentation ${task.status}`);
    $('inpaint-error').textContent = task.error ? `${task.error.code}: ${task.error.message}` : `segmentation ${task.status}`;
    return;
  }
  const output = task.outputs.find((entry) => entry.kind === 'mask');
  const mask = await readMask(output);
  if (request !== inpaint.request) return;
  inpaint.mask = mask.pixels;
  inpaint.maskUrl = mask.url;
  draw();
  const score = Array.isArray(task.metadata?.scores) ? ` score ${task.metadata.scores[0].toFixed(3)},` : '';
  setInpaintStatus(`Mask ready:${score} embeddings ${task.metadata?.embeddings_cached ? 'cached' : 'computed'} (task ${task.id}).`);
}

/** Waits on the task's event stream for its final event, whose data is the task itself. */
async function finalTask(path, signal) {
  let final = null;
  await readEventStream(path, signal, (name, data) => {
    if (name === 'succeeded' || name === 'failed' || name === 'canceled') final = data;
    else if (name === 'error') throw new Error(`progress stream: ${data.message}`);
  });
  if (!final) throw new Error('the task\'s event stream ended without a result');
  return final;
}

/**
 * The mask's pixels and a PNG data: URL of it. Read with fetch (the storage sends CORS headers)
 * so the canvas stays readable: a cross-origin <img> would taint it.
 */
async function readMask(output) {
  let blob;
  try {
    const response = await fetch(output.url);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    blob = await response.blob();
  } catch (error) {
    throw new Error(`could not read the mask from the output storage (${error.message}); its bucket must allow GET from this origin (CORS)`, { cause: error });
  }
  const bitmap = await createImageBitmap(blob);
  const canvas = document.createElement('canvas');
  canvas.width = inpaint.image.width;
  canvas.height = inpaint.image.height;
  const context = canvas.getContext('2d');
  context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  return { pixels: context.getImageData(0, 0, canvas.width, canvas.height), url: canvas.toDataURL('image/png') };
}

/** Multiples of 8, as the models want; the API resizes init_image and mask to the generation's size. */
function generationSide(pixels) {
  return Math.max(64, Math.round(pixels / 8) * 8);
}

async function submitInpaint(event) {
  event.preventDefault();
  $('inpaint-error').textContent = '';
  if (!state.key) {
    $('inpaint-error').textContent = 'Set an API key first.';
    return;
  }
  if (!inpaint.image || !inpaint.maskUrl) {
    $('inpaint-error').textContent = 'Choose an image and click what to change first.';
    return;
  }
  const body = {
    prompt: $('inpaint-prompt').value.trim(),
    model: $('model').value || undefined,
    init_image: inpaint.imageUrl,
    mask_image: inpaint.maskUrl,
    img_width: generationSide(inpaint.image.width),
    img_height: generationSide(inpaint.image.height),
    num_inference_steps: numberField('inpaint-steps'),
    strength: numberField('inpaint-strength'),
  };
  $('inpaint-submit').disabled = true;
  try {
    const created = await api('/v1/generations', { method: 'POST', body: JSON.stringify(Object.fromEntries(Object.entries(body).filter(([, value]) => value !== undefined))) });
    watch(created.id);
    loadRecent().catch(() => undefined);
  } catch (error) {
    $('inpaint-error').textContent = error.message;
  } finally {
    $('inpaint-submit').disabled = false;
  }
}

document.addEventListener('DOMContentLoaded', () => {
  $('inpaint-image').addEventListener('change', chooseImage);
  const canvas = $('inpaint-canvas');
  canvas.addEventListener('click', (event) => addPoint(event, event.shiftKey ? 'negative' : 'positive'));
  canvas.addEventListener('contextmenu', (event) => addPoint(event, 'negative'));
  $('inpaint-clear').addEventListener('click', () => {
    resetMask();
    draw();
    setInpaintStatus(inpaint.image ? 'Cleared: click the part to change.' : 'No image yet.');
  });
  $('inpaint-form').addEventListener('submit', submitInpaint);
});
