// Every job kind's queue: counts by status, the oldest queued job's age and runs finished in the last
// minute, refreshed while the page is shown. Admins (the `admin` scope of the session's token) also get
// Pause/Resume and the concurrency and rate limits of each kind; the API refuses anyone else anyway.
import { ApiError, getJson, send } from './api.js';
import { el, refreshedWhileShown, say, showFieldErrors } from './dom.js';
import { session } from './session.js';

const POLL_MS = 2000;
const STATUSES = ['waiting', 'queued', 'scheduled', 'running', 'retrying', 'succeeded', 'failed', 'cancelled'];
let section;
let shownSignature = null;

/** Whether the session's token carries the `admin` scope (its JWT payload's `scope`). */
function isAdmin() {
  try {
    const payload = session.token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const claims = JSON.parse(atob(payload.padEnd(Math.ceil(payload.length / 4) * 4, '=')));
    return String(claims.scope ?? '').split(' ').includes('admin');
  } catch {
    return false;
  }
}

function age(seconds) {
  if (seconds == null) return '—';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

async function change(kind, body, form) {
  const status = section.querySelector('#queues-message');
  try {
    await send('PUT', `/v1/queues/${encodeURIComponent(kind)}`, body);
    if (form) showFieldErrors(form, {});
    say(status, `Queue ${kind} updated.`, 'ok');
    shownSignature = null;
    await load();
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    const beside = form ? showFieldErrors(form, error.fields) : false;
    say(status, beside ? 'Please correct the fields marked in the table.' : error.message, 'error');
  }
}

function limit(value) {
  return value.trim() === '' ? null : Number(value);
}

function controls(queue) {
  const id = `queue-${queue.kind.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const form = el('form', { class: 'queue-limits', 'data-kind': queue.kind, novalidate: true },
    el('label', { for: `${id}-concurrency`, text: 'Concurrency' }),
    el('input', { id: `${id}-concurrency`, name: 'concurrency', type: 'number', min: 1, max: 10000,
      value: queue.concurrency ?? '', placeholder: 'no limit', 'aria-describedby': `${id}-concurrency-error` }),
    el('span', { class: 'field-error', id: `${id}-concurrency-error`, 'data-field': 'concurrency', hidden: true }),
    el('label', { for: `${id}-rate`, text: 'Starts per second' }),
    el('input', { id: `${id}-rate`, name: 'ratePerSecond', type: 'number', min: 0, step: 'any',
      value: queue.ratePerSecond ?? '', placeholder: 'no limit', 'aria-describedby': `${id}-rate-error` }),
    el('span', { class: 'field-error', id: `${id}-rate-error`, 'data-field': 'ratePerSecond', hidden: true }),
    el('button', { text: 'Save limits' }));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const values = Object.fromEntries(new FormData(form));
    change(queue.kind, { concurrency: limit(values.concurrency), ratePerSecond: limit(values.ratePerSecond) }, form);
  });
  const pause = el('button', {
    type: 'button',
    class: 'queue-pause',
    text: queue.paused ? 'Resume' : 'Pause',
    onclick: () => change(queue.kind, { paused: !queue.paused }),
  });
  return el('td', {}, pause, form);
}

function row(queue, admin) {
  const limits = [
    queue.concurrency != null ? `${queue.concurrency} at once` : null,
    queue.ratePerSecond != null ? `${queue.ratePerSecond}/s` : null,
  ].filter(Boolean).join(', ') || 'none';
  return el('tr', { 'data-kind': queue.kind },
    el('th', { scope: 'row', text: queue.kind }),
    el('td', { class: 'queue-state', text: queue.paused ? 'paused' : 'running' }),
    ...STATUSES.map((status) => el('td', { 'data-status': status, text: queue.counts[status] })),
    el('td', { class: 'queue-age', text: age(queue.oldestQueuedAgeSeconds) }),
    el('td', { class: 'queue-throughput', text: queue.throughputPerMinute }),
    el('td', { class: 'queue-limits-shown', text: limits }),
    admin ? controls(queue) : null);
}

async function load() {
  if (!session.signedIn) return;
  const admin = isAdmin();
  const page = await getJson('/v1/queues');
  const signature = JSON.stringify([admin, page]);
  if (signature === shownSignature) return;
  // A limit being typed in is not replaced under the typist's fingers.
  if (document.activeElement?.matches('.queue-limits input')) return;
  shownSignature = signature;
  section.querySelector('#queue-actions-header').hidden = !admin;
  section.querySelector('#queue-list tbody').replaceChildren(...page.items.map((queue) => row(queue, admin)));
  section.querySelector('#queues-scope').textContent = admin
    ? 'Counts of every user’s jobs (you have the admin scope).'
    : 'Counts of your jobs; age and throughput are of every user’s.';
}

export function init(element) {
  section = element;
}

const refreshing = refreshedWhileShown(
  POLL_MS,
  load,
  () => section.querySelector('#queues-message'),
  () => session.signedIn,
);
export const show = refreshing.show;
export const hide = refreshing.hide;

export function sessionChanged() {
  shownSignature = null;
  section.querySelector('#queue-list tbody').replaceChildren();
}
