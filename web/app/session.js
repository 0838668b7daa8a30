// The signed-in session: a token and its user, kept in localStorage so it survives a reload and is
// shared by every tab; the `storage` event tells the other tabs when it changes (sign-out included).
const KEY = 'reprise.session';
const listeners = new Set();
let current = read();

function read() {
  try {
    const stored = JSON.parse(localStorage.getItem(KEY));
    if (!stored?.token) return null;
    if (stored.expiresAt && Date.parse(stored.expiresAt) <= Date.now()) return null;
    return stored;
  } catch {
    return null;
  }
}

function changed() {
  for (const listener of listeners) listener(current);
}

window.addEventListener('storage', (event) => {
  if (event.key !== KEY && event.key !== null) return;
  const before = current?.token;
  current = read();
  if (current?.token !== before) changed();
  else if (current) changed();
});

export const session = {
  get token() { return current?.token ?? null; },
  get user() { return current?.user ?? null; },
  get signedIn() { return current !== null; },
  /** Starts a session (sign-up or sign-in). */
  start(token, user, expiresAt = null) {
    current = { token, user, expiresAt };
    localStorage.setItem(KEY, JSON.stringify(current));
    changed();
  },
  /** Keeps the session, with the user as the API now describes them. */
  updateUser(user) {
    if (!current || JSON.stringify(current.user) === JSON.stringify(user)) return;
    current = { ...current, user };
    localStorage.setItem(KEY, JSON.stringify(current));
    changed();
  },
  /** Drops the token here and in every other tab. */
  end() {
    current = null;
    localStorage.removeItem(KEY);
    changed();
  },
  /** Calls `listener(session)` whenever the session starts, changes or ends. */
  onChange(listener) {
    listeners.add(listener);
  },
};
