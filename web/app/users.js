// User names for the ids the API gives (creators, members, authors), fetched once each.
import { getJson } from './api.js';
import { session } from './session.js';

const known = new Map();

export function userName(id) {
  if (session.user?.id === id) return Promise.resolve(session.user.userName);
  if (!known.has(id)) {
    known.set(id, getJson(`/v1/users/${encodeURIComponent(id)}`).then(
      (user) => user.userName,
      () => {
        known.delete(id);
        return id.slice(0, 8);
      },
    ));
  }
  return known.get(id);
}

/** A span that shows a user's name once it is known. */
export function nameTag(id) {
  const span = document.createElement('span');
  span.className = 'user';
  span.textContent = '…';
  userName(id).then((name) => { span.textContent = name; });
  return span;
}
