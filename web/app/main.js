// The app's shell: hash navigation between the sections, and the signed-in state on <body> (CSS
// shows each section's signed-in part or its "sign in first" note from it).
import { session } from './session.js';
import * as account from './account.js';
import * as leaderboards from './leaderboards.js';
import * as jobs from './jobs.js';
import * as queues from './queues.js';
import * as meetups from './meetups.js';
import * as chat from './chat.js';
import * as conversions from './conversions.js';

const views = { account, leaderboards, jobs, queues, meetups, chat, conversions };
let shown = null;

function route() {
  const [name, ...rest] = location.hash.replace(/^#\/?/, '').split('/');
  const view = views[name] ? name : 'leaderboards';
  if (shown && shown !== view) views[shown].hide?.();
  for (const section of document.querySelectorAll('main > section')) {
    section.hidden = section.id !== view;
  }
  for (const link of document.querySelectorAll('nav a')) {
    if (link.getAttribute('href') === `#/${view}`) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const title = document.querySelector(`#${view} h2`)?.textContent ?? '';
  document.title = `${title} — Reprise`;
  // Moving between sections moves the focus to the new one's heading; the first load leaves it be.
  const moved = shown !== null && shown !== view;
  shown = view;
  views[view].show?.(rest.map(decodeURIComponent));
  if (moved) document.querySelector(`#${view} h2`)?.focus({ preventScroll: true });
}

function reflectSession() {
  document.body.dataset.session = session.signedIn ? 'in' : 'out';
  document.getElementById('who').textContent = session.signedIn ? `Signed in as ${session.user.userName}` : '';
}

for (const [name, view] of Object.entries(views)) view.init(document.getElementById(name));
session.onChange(() => {
  reflectSession();
  for (const view of Object.values(views)) view.sessionChanged?.();
  route();
});
reflectSession();
window.addEventListener('hashchange', route);
route();
