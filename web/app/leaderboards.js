// A leaderboard by game, period and region, page by page or around a player, kept up to date by
// polling with conditional requests: each poll sends the board's ETag, and the server answers 304
// (no body) until the board changes.
import { ApiError, getJson, getJsonUnlessUnchanged, send, withQuery } from './api.js';
import { el, every, formatDateTime, formatTime, say } from './dom.js';

const POLL_MS = 2000;
const PAGE_SIZE = 25;
let section;
let form;
let table;
let status;
let cursors = [];
let shownSignature = null;
let shownEtag = null;
let stopPolling = null;

function query() {
  const values = Object.fromEntries(new FormData(form));
  return {
    game: values.game.trim(),
    params: {
      period: values.period,
      region: values.region.trim(),
      // A next page continues from its cursor, wherever the first page started.
      around: cursors.length ? undefined : values.around.trim(),
      limit: PAGE_SIZE,
      cursor: cursors.at(-1),
    },
  };
}

function render(board) {
  const rows = board.entries.map((entry) => el('tr', {},
    el('td', { text: entry.rank }),
    el('th', { scope: 'row', text: entry.player }),
    el('td', { class: 'number', text: entry.score.toLocaleString() }),
    el('td', {}, el('time', { datetime: entry.achievedAt, text: formatDateTime(entry.achievedAt) }))));
  table.tBodies[0].replaceChildren(...rows);
  const where = board.region ? `region ${board.region}` : 'all regions';
  section.querySelector('#board-caption').textContent =
    `${board.game}, ${form.elements.period.selectedOptions[0].textContent.toLowerCase()}, ${where}: ${board.total} players`;
  table.hidden = board.entries.length === 0;
  section.querySelector('#board-next').hidden = !board.nextCursor;
  section.querySelector('#board-next').dataset.cursor = board.nextCursor ?? '';
  section.querySelector('#board-first').hidden = cursors.length === 0;
  if (board.entries.length === 0) {
    say(status, 'Nobody is on this board yet. Post scores through the API (see the README), or fill it with '
      + 'make datagen ARGS="--duration 10s --rate 200".', 'info');
  } else {
    say(status, '');
  }
}

function showMissing(game, error) {
  table.hidden = true;
  section.querySelector('#board-next').hidden = true;
  section.querySelector('#board-first').hidden = cursors.length === 0;
  const around = form.elements.around.value.trim();
  if (error.status === 404 && !around) {
    say(status, `There is no game called “${game}”: a game appears with its first score.`, 'error');
  } else {
    say(status, error.message, 'error');
  }
}

async function load() {
  const { game, params } = query();
  if (!game) return;
  const path = withQuery(`/v1/leaderboards/${encodeURIComponent(game)}`, params);
  try {
    // The ETag only stands for the board shown, and only while the same board is asked for.
    const held = shownSignature?.startsWith(JSON.stringify([game, params])) ? shownEtag : null;
    const answer = await getJsonUnlessUnchanged(path, held);
    section.querySelector('#board-updated').textContent = `Checked at ${formatTime()}; it refreshes by itself.`;
    if (answer.unchanged) return;
    const board = answer.body;
    const signature = JSON.stringify([game, params]) + JSON.stringify([board.entries, board.total, board.nextCursor]);
    shownEtag = answer.etag;
    if (signature === shownSignature) return;
    shownSignature = signature;
    render(board);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    const signature = JSON.stringify([game, params]) + JSON.stringify([error.status]);
    shownEtag = null;
    if (signature === shownSignature) return;
    shownSignature = signature;
    showMissing(game, error);
  }
}

// Asks the projector to regenerate the board's documents (a `leaderboard.refresh` job) and follows
// the job with long polls until it is final.
async function refreshBoard() {
  const { game, params } = query();
  const refreshStatus = section.querySelector('#board-refresh-status');
  if (!game) return;
  const body = { period: params.period, ...(params.region ? { region: params.region } : {}) };
  try {
    say(refreshStatus, 'Refresh queued…', 'info');
    const accepted = await send('POST', `/v1/leaderboards/${encodeURIComponent(game)}/refresh`, body);
    for (let polls = 0; polls < 6; polls += 1) {
      const job = await getJson(accepted.links.job, { headers: { Prefer: 'wait=10' } });
      if (['succeeded', 'failed', 'cancelled'].includes(job.status)) {
        say(refreshStatus, `Refresh ${job.status}.`, job.status === 'succeeded' ? 'info' : 'error');
        shownSignature = null;
        load();
        return;
      }
      say(refreshStatus, `Refresh ${job.status}…`, 'info');
    }
    say(refreshStatus, 'The refresh is taking long; it goes on without this page.', 'info');
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    say(refreshStatus, error.message, 'error');
  }
}

export function init(element) {
  section = element;
  form = section.querySelector('#board-form');
  table = section.querySelector('#board');
  status = section.querySelector('#board-status');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    cursors = [];
    load();
  });
  form.elements.period.addEventListener('change', () => {
    cursors = [];
    load();
  });
  section.querySelector('#board-next').addEventListener('click', (event) => {
    cursors.push(event.currentTarget.dataset.cursor);
    load();
  });
  section.querySelector('#board-refresh').addEventListener('click', refreshBoard);
  section.querySelector('#board-first').addEventListener('click', () => {
    cursors = [];
    load();
    form.elements.game.focus();
  });
}

export function show() {
  load();
  stopPolling ??= every(POLL_MS, load);
}

export function hide() {
  stopPolling?.();
  stopPolling = null;
}
