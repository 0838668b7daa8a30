// Queue a job (to run after others of mine, if I name them), list mine by status and page, watch
// their statuses change (polling while the list is shown; a waiting job names the jobs it waits for),
// and cancel one that has not started.
import { ApiError, getJson, request, send, withQuery } from './api.js';
import { el, refreshedWhileShown, formatDateTime, localToIso, say, showFieldErrors } from './dom.js';
import { session } from './session.js';

const POLL_MS = 1500;
const CANCELLABLE = new Set(['queued', 'scheduled', 'retrying', 'waiting']);
// The API's job documents do not carry the message, so the one typed here is remembered by job id.
const MESSAGES_KEY = 'reprise.jobMessages';
let section;
let form;
let cursors = [];
let shownSignature = null;

function messages() {
  try {
    return JSON.parse(localStorage.getItem(MESSAGES_KEY)) ?? {};
  } catch {
    return {};
  }
}

function remember(id, message) {
  const all = messages();
  all[id] = message;
  const ids = Object.keys(all);
  for (const old of ids.slice(0, Math.max(0, ids.length - 500))) delete all[old];
  localStorage.setItem(MESSAGES_KEY, JSON.stringify(all));
}

async function queue(event) {
  event.preventDefault();
  const values = Object.fromEntries(new FormData(form));
  const body = {
    message: values.message,
    kind: values.kind,
    priority: values.priority === '' ? undefined : Number(values.priority),
    maxAttempts: values.maxAttempts === '' ? undefined : Number(values.maxAttempts),
    runAt: localToIso(values.runAt),
  };
  const dependsOn = values.dependsOn.split(/[\s,]+/).filter(Boolean);
  if (dependsOn.length > 0) body.dependsOn = dependsOn;
  if (values.kind === 'webhook') body.payload = { url: values.url };
  const message = form.querySelector('.message');
  try {
    const accepted = await send('POST', '/v1/jobs', body);
    remember(accepted.jobId, values.message);
    showFieldErrors(form, {});
    form.elements.message.value = '';
    form.elements.dependsOn.value = '';
    const waits = accepted.status === 'waiting' ? ', waiting for the jobs it runs after' : '';
    say(message, `Job queued (${accepted.jobId.slice(0, 8)}${waits}); its status shows below.`, 'ok');
    cursors = [];
    await load();
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    const beside = showFieldErrors(form, error.fields);
    say(message, beside ? 'Please correct the fields marked above.' : error.message, 'error');
  }
}

async function cancel(job) {
  const status = section.querySelector('#jobs-message');
  try {
    await request('DELETE', `/v1/jobs/${job.id}`);
    say(status, `Cancelling job ${job.id.slice(0, 8)}.`, 'ok');
  } catch (error) {
    say(status, error.message, 'error');
  }
  await load();
}

function row(job, remembered) {
  const label = remembered[job.id] ?? job.id.slice(0, 8);
  const actions = el('td');
  if (CANCELLABLE.has(job.status)) {
    actions.append(el('button', {
      type: 'button',
      text: 'Cancel',
      onclick: () => cancel(job),
    }));
  }
  const waitingFor = job.status === 'waiting' && job.dependsOn?.length
    ? ` for ${job.dependsOn.map((id) => remembered[id] ?? id.slice(0, 8)).join(', ')}` : '';
  const status = job.status + waitingFor
    + (job.progress != null && job.status === 'running' ? ` ${job.progress} %` : '')
    + (job.error?.message ? `: ${job.error.message}` : '');
  return el('tr', { 'data-job': job.id },
    el('th', { scope: 'row', title: job.id, text: label }),
    el('td', { text: job.kind }),
    el('td', { class: `status-${job.status}`, text: status }),
    el('td', { text: job.priority }),
    el('td', { text: formatDateTime(job.runAt) }),
    el('td', { text: `${job.attempts}/${job.maxAttempts}` }),
    actions);
}

async function load() {
  if (!session.signedIn) return;
  const status = section.querySelector('#job-status').value;
  const page = await getJson(withQuery('/v1/jobs', { status, limit: 10, cursor: cursors.at(-1) }));
  const signature = JSON.stringify([status, cursors, page]);
  if (signature === shownSignature) return;
  shownSignature = signature;
  const remembered = messages();
  const rows = page.items.map((job) => row(job, remembered));
  if (rows.length === 0) {
    rows.push(el('tr', {}, el('td', { colspan: 7, text: status ? `No ${status} jobs.` : 'No jobs yet: queue one above.' })));
  }
  // Keep the keyboard where it was when a re-render replaces the focused button.
  const focused = document.activeElement?.closest('tr')?.dataset.job;
  section.querySelector('#job-list tbody').replaceChildren(...rows);
  if (focused) section.querySelector(`tr[data-job="${focused}"] button`)?.focus();
  const next = section.querySelector('#jobs-next');
  next.hidden = !page.nextCursor;
  next.dataset.cursor = page.nextCursor ?? '';
  section.querySelector('#jobs-first').hidden = cursors.length === 0;
}

export function init(element) {
  section = element;
  form = section.querySelector('#job-form');
  form.addEventListener('submit', queue);
  form.elements.kind.addEventListener('change', () => {
    section.querySelector('#job-url-field').hidden = form.elements.kind.value !== 'webhook';
  });
  section.querySelector('#job-status').addEventListener('change', () => {
    cursors = [];
    load();
  });
  section.querySelector('#jobs-next').addEventListener('click', (event) => {
    cursors.push(event.currentTarget.dataset.cursor);
    load();
  });
  section.querySelector('#jobs-first').addEventListener('click', () => {
    cursors = [];
    load();
  });
}

const refreshing = refreshedWhileShown(
  POLL_MS,
  load,
  () => section.querySelector('#jobs-message'),
  () => session.signedIn,
);
export const show = refreshing.show;
export const hide = refreshing.hide;

export function sessionChanged() {
  shownSignature = null;
  cursors = [];
  section.querySelector('#job-list tbody').replaceChildren();
}
