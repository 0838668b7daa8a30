// The live WebSocket (`/v1/ws?auth=<token>`, same origin): pushes channel and message changes to
// subscribers, reconnects by itself with backoff, and after a reconnect tells subscribers to catch up
// from the API (pushes sent while it was away are lost).
import { request } from './api.js';
import { session } from './session.js';

const MAX_DELAY_MS = 30000;
const handlers = new Set();
const stateListeners = new Set();
let socket = null;
let delay = 1000;
let timer = null;
let everOpened = false;

function setState(state) {
  for (const listener of stateListeners) listener(state);
}

function connect() {
  clearTimeout(timer);
  if (!session.signedIn || socket) return;
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const opened = new WebSocket(`${scheme}//${location.host}/v1/ws?auth=${encodeURIComponent(session.token)}`);
  socket = opened;
  setState('connecting');
  opened.addEventListener('open', () => {
    delay = 1000;
    setState('live');
    if (everOpened) for (const handler of handlers) handler({ type: 'resync' });
    everOpened = true;
  });
  opened.addEventListener('message', (event) => {
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return;
    }
    for (const handler of handlers) handler(frame);
  });
  opened.addEventListener('close', async (event) => {
    if (socket !== opened) return;
    socket = null;
    // 1008: the session was revoked or expired. Signing out in another tab says so itself (the
    // storage event); otherwise, asking the API a moment later ends the session here (a 401).
    if (event.code === 1008) {
      const token = session.token;
      await new Promise((resolve) => { setTimeout(resolve, 2000); });
      if (session.token === token) await request('GET', '/v1/users/me').catch(() => {});
    }
    if (!session.signedIn) {
      setState('off');
      return;
    }
    if (socket) return;
    setState('reconnecting');
    timer = setTimeout(connect, delay + Math.random() * 500);
    delay = Math.min(delay * 2, MAX_DELAY_MS);
  });
}

function disconnect() {
  clearTimeout(timer);
  const closing = socket;
  socket = null;
  everOpened = false;
  // Closing a socket still connecting makes the browser log an error: let it open first.
  if (closing?.readyState === WebSocket.CONNECTING) closing.addEventListener('open', () => closing.close());
  else closing?.close();
  setState('off');
}

session.onChange(() => {
  disconnect();
  if (session.signedIn) connect();
});

export const live = {
  /** Starts the connection (if signed in and not connected already). */
  start: connect,
  /** Calls `handler(frame)` for every push, and `{ type: 'resync' }` after a reconnect. */
  subscribe(handler) {
    handlers.add(handler);
  },
  onState(listener) {
    stateListeners.add(listener);
  },
  /** Drops the connection as a network failure would (for trying the reconnect by hand). */
  drop() {
    socket?.close();
  },
};
