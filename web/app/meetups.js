// Meetups: browse them newest first, page by page (no sign-in needed), announce one, join, and the
// ones I joined. Each meetup's chat is its public channel.
import { ApiError, getJson, send, withQuery } from './api.js';
import { el, formatDateTime, localToIso, say, showFieldErrors } from './dom.js';
import { session } from './session.js';
import { nameTag } from './users.js';

let section;
let nextCursor = null;
let joined = new Set();

function card(meetup) {
  const actions = el('div', { class: 'actions' });
  if (session.signedIn && !joined.has(meetup.id)) {
    actions.append(el('button', {
      type: 'button',
      text: 'Join',
      onclick: (event) => join(meetup, event.currentTarget),
    }));
  } else if (session.signedIn) {
    actions.append(el('span', { class: 'hint', text: 'You joined' }));
  }
  actions.append(el('a', { href: `#/chat/${meetup.channelId}`, text: `Chat about ${meetup.title}` }));
  return el('li', { 'data-meetup': meetup.id },
    el('h3', { text: meetup.title }),
    el('p', {}, el('time', { datetime: meetup.dateTime, text: formatDateTime(meetup.dateTime) }), ` · ${meetup.location}`),
    meetup.description ? el('p', { text: meetup.description }) : null,
    el('p', { class: 'hint' }, `${meetup.memberCount} going · by `, nameTag(meetup.creator)),
    actions);
}

async function loadJoined() {
  if (!session.signedIn) {
    joined = new Set();
    return;
  }
  const page = await getJson(withQuery('/v1/events/join', { limit: 100 }));
  joined = new Set(page.items.map((m) => m.id));
  section.querySelector('#my-meetups').replaceChildren(...(page.items.length ? page.items.map((m) => el('li', {},
    el('span', {}, `${m.title} · `, el('time', { datetime: m.dateTime, text: formatDateTime(m.dateTime) })),
    el('a', { href: `#/chat/${m.channelId}`, text: `Chat about ${m.title}` }))) : [el('li', { text: 'None yet: join one above.' })]));
}

async function loadMeetups(more = false) {
  const list = section.querySelector('#meetup-list');
  const page = await getJson(withQuery('/v1/events', { limit: 12, cursor: more ? nextCursor : undefined }));
  const cards = page.items.map(card);
  if (more) list.append(...cards);
  else list.replaceChildren(...cards);
  if (!more && cards.length === 0) list.append(el('li', { text: 'No meetups yet: announce the first.' }));
  nextCursor = page.nextCursor;
  section.querySelector('#meetups-next').hidden = !nextCursor;
  return cards;
}

async function refresh() {
  try {
    await loadJoined();
    await loadMeetups();
  } catch (error) {
    say(section.querySelector('#meetups-message'), error.message, 'error');
  }
}

async function join(meetup, button) {
  try {
    await send('POST', '/v1/events/join', { id: meetup.id });
    say(section.querySelector('#meetups-message'), `You joined ${meetup.title}.`, 'ok');
    await refresh();
    section.querySelector(`[data-meetup="${meetup.id}"] a`)?.focus();
  } catch (error) {
    button.disabled = false;
    say(section.querySelector('#meetups-message'), error.message, 'error');
  }
}

async function announce(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const values = Object.fromEntries(new FormData(form));
  const message = form.querySelector('.message');
  const missing = {};
  for (const [name, label] of [['title', 'Title'], ['dateTime', 'Date and time'], ['location', 'Location']]) {
    if (!values[name].trim()) missing[name] = `${label} is required`;
  }
  if (showFieldErrors(form, missing)) {
    say(message, 'Please correct the fields marked above.', 'error');
    return;
  }
  try {
    const meetup = await send('POST', '/v1/events', { ...values, dateTime: localToIso(values.dateTime) });
    form.reset();
    say(message, `Announced ${meetup.title}.`, 'ok');
    await refresh();
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    const beside = showFieldErrors(form, error.fields);
    say(message, beside ? 'Please correct the fields marked above.' : error.message, 'error');
  }
}

export function init(element) {
  section = element;
  section.querySelector('#meetup-form').addEventListener('submit', announce);
  section.querySelector('#meetups-next').addEventListener('click', async () => {
    const cards = await loadMeetups(true);
    cards[0]?.querySelector('h3')?.setAttribute('tabindex', '-1');
    cards[0]?.querySelector('h3')?.focus();
  });
}

export function show() {
  refresh();
}
