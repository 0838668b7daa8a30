// Video → MP3: an upload with a real progress bar (XMLHttpRequest reports upload progress, fetch does
// not), my conversions with their status, and the MP3's download (it needs the bearer token, so it is
// fetched as a blob and saved from there).
import { ApiError, getJson, problemOf, request, withQuery } from './api.js';
import { el, every, formatBytes, formatDateTime, say } from './dom.js';
import { session } from './session.js';

const POLL_MS = 1500;
let section;
let olderCursor = null;
let shownSignature = null;
let stopPolling = null;
let uploading = false;

const $ = (selector) => section.querySelector(selector);

function explain(status, problem) {
  if (status === 413) {
    const limit = (problem.detail ?? 'it is above the upload limit').replace(/(\d{4,}) bytes/, (_, n) => formatBytes(Number(n)));
    return `That video is too large for this server: ${limit}.`;
  }
  if (status === 415) return 'That file is not a video: choose a video file (MP4, WebM, MOV, …).';
  if (status === 401) return 'Your session has ended: sign in again.';
  return problem.detail ?? `The upload failed (${status}).`;
}

/** Sends the file as the raw body (`Content-Type: video/*`, `?filename=`), reporting progress. */
function upload(file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', withQuery('/v1/conversions', { filename: file.name }));
    xhr.setRequestHeader('Authorization', `Bearer ${session.token}`);
    xhr.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) onProgress(Math.round((event.loaded / event.total) * 100));
    });
    xhr.addEventListener('load', async () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve(JSON.parse(xhr.responseText));
      else reject(new ApiError(xhr.status, { ...(await problemOf(xhr.status, xhr.responseText)) }));
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, {
      detail: 'The upload was cut off before the server answered; check the file and your connection, then try again.',
    })));
    xhr.send(file);
  });
}

async function convert(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const message = form.querySelector('.message');
  const file = form.elements.file.files[0];
  if (!file) {
    say(message, 'Choose a video file first.', 'error');
    form.elements.file.focus();
    return;
  }
  if (uploading) return;
  uploading = true;
  const bar = $('#upload-bar');
  const setProgress = (percent) => {
    bar.value = percent;
    $('#upload-percent').textContent = `${percent} %`;
  };
  setProgress(0);
  $('#upload-progress').hidden = false;
  form.querySelector('button').disabled = true;
  say(message, `Uploading ${file.name}…`);
  try {
    const accepted = await upload(file, setProgress);
    setProgress(100);
    form.reset();
    say(message, `Uploaded ${file.name}: converting (${accepted.conversionId.slice(0, 8)}).`, 'ok');
    await load();
  } catch (error) {
    say(message, error.status ? explain(error.status, error.problem) : error.message, 'error');
  } finally {
    uploading = false;
    form.querySelector('button').disabled = false;
  }
}

async function download(conversion, button) {
  button.disabled = true;
  try {
    const response = await request('GET', conversion.links.mp3);
    const blob = await response.blob();
    const disposition = response.headers.get('Content-Disposition') ?? '';
    const name = /filename="([^"]+)"/.exec(disposition)?.[1] ?? conversion.filename.replace(/\.[^.]*$/, '') + '.mp3';
    const url = URL.createObjectURL(blob);
    const link = el('a', { href: url, download: name });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch (error) {
    say($('#conversions-message'), error.message, 'error');
  } finally {
    button.disabled = false;
  }
}

function row(conversion) {
  const ready = conversion.status === 'succeeded' && conversion.links?.mp3;
  const status = conversion.status === 'failed'
    ? `failed: ${conversion.error ?? 'the video could not be converted'}`
    : conversion.status;
  return el('tr', { 'data-conversion': conversion.id },
    el('th', { scope: 'row', text: conversion.filename }),
    el('td', { class: `status-${conversion.status}`, text: status }),
    el('td', {}, conversion.status === 'running' || conversion.status === 'queued'
      ? el('progress', { max: 100, value: conversion.progress ?? 0, 'aria-label': `Progress of ${conversion.filename}` })
      : (conversion.durationSeconds ? `${conversion.durationSeconds.toFixed(1)} s of audio` : '')),
    el('td', { text: formatBytes(conversion.mp3Bytes ?? conversion.videoBytes) }),
    el('td', { text: formatDateTime(conversion.createdAt) }),
    el('td', {}, ready ? el('button', {
      type: 'button',
      text: 'Download MP3',
      onclick: (event) => download(conversion, event.currentTarget),
    }) : null));
}

async function load(more = false) {
  if (!session.signedIn) return;
  const page = await getJson(withQuery('/v1/conversions', { limit: 20, cursor: more ? olderCursor : undefined }));
  const signature = JSON.stringify(page);
  if (!more && signature === shownSignature) return;
  const rows = page.items.map(row);
  const body = $('#conversion-list tbody');
  if (more) {
    body.append(...rows);
  } else {
    shownSignature = signature;
    const focused = document.activeElement?.closest('tr')?.dataset.conversion;
    body.replaceChildren(...(rows.length ? rows : [el('tr', {}, el('td', { colspan: 6, text: 'No conversions yet.' }))]));
    if (focused) $(`tr[data-conversion="${focused}"] button`)?.focus();
  }
  olderCursor = page.nextCursor;
  $('#conversions-next').hidden = !olderCursor;
}

export function init(element) {
  section = element;
  $('#upload-form').addEventListener('submit', convert);
  $('#conversions-next').addEventListener('click', () => load(true));
  $('#inbox').hidden = !['127.0.0.1', 'localhost'].includes(location.hostname);
}

export function show() {
  if (!session.signedIn) return;
  load().catch((error) => say($('#conversions-message'), error.message, 'error'));
  stopPolling ??= every(POLL_MS, () => load(), () => session.signedIn);
}

export function hide() {
  stopPolling?.();
  stopPolling = null;
}

export function sessionChanged() {
  shownSignature = null;
  $('#conversion-list tbody').replaceChildren();
}
