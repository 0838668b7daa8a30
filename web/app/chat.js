// Chat: the channels I may see (public ones and my private ones), creating one, its members, renaming
// and deleting it; a channel's messages with older pages, sending, editing and deleting mine. Changes
// arrive live over the WebSocket; after a reconnect the channel list and messages are read again.
import { ApiError, getJson, request, send, withQuery } from './api.js';
import { el, formatDateTime, say, showFieldErrors } from './dom.js';
import { live } from './live.js';
import { session } from './session.js';
import { nameTag } from './users.js';

let section;
const channels = new Map();
let channelsCursor = null;
let current = null; // the channel shown
let messages = []; // its messages shown, oldest first
let hasOlder = false;
// The message being edited and the draft so far: a live push re-renders the list, and must not take an
// edit in progress away from its writer.
let editing = null;

const $ = (selector) => section.querySelector(selector);
const mine = (item) => item.creator === session.user?.id;
const problem = (error) => say($('#channel-message'), error.message, 'error');

function renderChannels() {
  const items = [...channels.values()].map((channel) => el('li', {}, el('button', {
    type: 'button',
    'aria-current': current?.id === channel.id ? 'true' : 'false',
    onclick: () => { location.hash = `#/chat/${channel.id}`; },
  }, channel.private ? `${channel.name} (private)` : `# ${channel.name}`)));
  $('#channel-list').replaceChildren(...(items.length ? items : [el('li', { text: 'No channels yet.' })]));
  $('#channels-next').hidden = !channelsCursor;
}

async function loadChannels(more = false) {
  const page = await getJson(withQuery('/v1/channels', { limit: 50, cursor: more ? channelsCursor : undefined }));
  if (!more) channels.clear();
  for (const channel of page.items) channels.set(channel.id, channel);
  channelsCursor = page.nextCursor;
  renderChannels();
}

function renderChannel() {
  $('#channel-view').hidden = !current;
  $('#no-channel').hidden = Boolean(current);
  if (!current) return;
  $('#channel-title').textContent = current.private ? `${current.name} (private)` : `# ${current.name}`;
  $('#channel-description').textContent = current.description ?? '';
  $('#channel-admin').hidden = !mine(current);
  $('#rename-name').value ||= current.name;
  const members = (current.members ?? []).map((id) => el('li', {}, nameTag(id), id === current.creator
    ? el('span', { class: 'hint', text: 'creator' })
    : el('button', { type: 'button', text: 'Remove', onclick: () => removeMember(id) })));
  $('#member-list').replaceChildren(...members);
}

function messageItem(message) {
  const meta = el('div', { class: 'meta' }, nameTag(message.creator),
    el('time', { datetime: message.createdAt, text: formatDateTime(message.createdAt) }),
    message.editedAt ? el('span', { text: '(edited)' }) : null);
  if (mine(message)) {
    meta.append(
      el('button', { type: 'button', text: 'Edit', onclick: () => startEdit(message) }),
      el('button', { type: 'button', text: 'Delete', onclick: () => removeMessage(message) }));
  }
  const body = editing?.id === message.id ? editForm(message) : el('p', { class: 'body', text: message.body });
  return el('li', { 'data-message': message.id, class: mine(message) ? 'mine' : null }, meta, body);
}

function renderMessages({ scroll = true } = {}) {
  const list = $('#message-list');
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  const editFocused = Boolean(editing) && document.activeElement?.id === `edit-${editing.id}`;
  list.replaceChildren(...messages.map(messageItem));
  if (editFocused) document.getElementById(`edit-${editing.id}`)?.focus();
  if (messages.length === 0) list.append(el('li', { class: 'hint', text: 'No messages yet: say hello.' }));
  $('#older-messages').hidden = !hasOlder;
  if (scroll && atBottom) list.scrollTop = list.scrollHeight;
}

async function page(before) {
  const answer = await getJson(withQuery(`/v1/channels/${current.id}`, { before }));
  const items = Array.isArray(answer) ? answer : answer.items;
  hasOlder = Boolean(answer.nextCursor) || items.length >= 100;
  return items.reverse();
}

async function openChannel(id) {
  if (!channels.has(id)) {
    try {
      await loadChannels();
    } catch (error) {
      problem(error);
    }
  }
  current = channels.get(id) ?? null;
  messages = [];
  editing = null;
  say($('#channel-message'), '');
  $('#rename-name').value = current?.name ?? '';
  renderChannels();
  renderChannel();
  if (!current) {
    if (id) say($('#no-channel'), 'That channel is gone, or private and not yours.');
    return;
  }
  try {
    messages = await page();
    renderMessages();
    const list = $('#message-list');
    list.scrollTop = list.scrollHeight;
  } catch (error) {
    problem(error);
  }
}

function upsert(message) {
  const at = messages.findIndex((m) => m.id === message.id);
  if (at >= 0) messages[at] = message;
  else messages.push(message);
  renderMessages();
}

async function sendMessage(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const body = form.elements.body.value.trim();
  if (!body || !current) return;
  try {
    upsert(await send('POST', `/v1/channels/${current.id}`, { body }));
    form.reset();
    const list = $('#message-list');
    list.scrollTop = list.scrollHeight;
  } catch (error) {
    problem(error);
  }
}

function startEdit(message) {
  editing = { id: message.id, draft: message.body };
  renderMessages({ scroll: false });
  document.getElementById(`edit-${message.id}`)?.focus();
}

function stopEdit() {
  editing = null;
  renderMessages({ scroll: false });
}

function editForm(message) {
  const form = el('form', { class: 'row' },
    el('div', { class: 'field wide' },
      el('label', { for: `edit-${message.id}`, text: 'Edit message' }),
      el('textarea', { id: `edit-${message.id}`, name: 'body', rows: 2, required: true, maxlength: 4000 })),
    el('button', { text: 'Save' }),
    el('button', { type: 'button', class: 'secondary', text: 'Discard', onclick: stopEdit }));
  form.elements.body.value = editing.draft;
  form.elements.body.addEventListener('input', (event) => { editing.draft = event.currentTarget.value; });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const saved = await send('PATCH', `/v1/messages/${message.id}`, { body: form.elements.body.value });
      editing = null;
      upsert(saved);
    } catch (error) {
      problem(error);
    }
  });
  return form;
}

async function removeMessage(message) {
  try {
    await request('DELETE', `/v1/messages/${message.id}`);
    messages = messages.filter((m) => m.id !== message.id);
    renderMessages({ scroll: false });
    $('#message-body').focus();
  } catch (error) {
    problem(error);
  }
}

async function createChannel(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const message = form.querySelector('.message');
  const name = form.elements.name.value.trim();
  if (showFieldErrors(form, name ? {} : { name: 'Channel name is required' })) return;
  try {
    const channel = await send('POST', '/v1/channels', { name, private: form.elements.private.checked });
    channels.set(channel.id, channel);
    form.reset();
    say(message, '');
    location.hash = `#/chat/${channel.id}`;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    const fields = error.status === 409 ? { name: error.message } : error.fields;
    say(message, showFieldErrors(form, fields) ? '' : error.message, 'error');
  }
}

async function changeChannel(action) {
  try {
    const changed = await action();
    if (changed?.id) {
      channels.set(changed.id, changed);
      current = changed;
    }
    renderChannels();
    renderChannel();
  } catch (error) {
    problem(error);
  }
}

const rename = (event) => {
  event.preventDefault();
  changeChannel(() => send('PATCH', `/v1/channels/${current.id}`, { name: event.currentTarget.elements.name.value.trim() }));
};

async function addMember(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const id = form.elements.id.value.trim();
  await changeChannel(async () => {
    await send('POST', `/v1/channels/${current.id}/members`, { id });
    form.reset();
    return { ...current, members: [...new Set([...(current.members ?? []), id])] };
  });
}

function removeMember(id) {
  changeChannel(async () => {
    await send('DELETE', `/v1/channels/${current.id}/members`, { id });
    return { ...current, members: current.members.filter((member) => member !== id) };
  });
}

async function deleteChannel() {
  if (!confirm(`Delete the channel ${current.name} and its messages?`)) return;
  try {
    await request('DELETE', `/v1/channels/${current.id}`);
    channels.delete(current.id);
    location.hash = '#/chat';
  } catch (error) {
    problem(error);
  }
}

function onPush(frame) {
  if (frame.type === 'resync') {
    if (!section.hidden) loadChannels().then(() => current && openChannel(current.id)).catch(() => {});
    return;
  }
  const channelId = frame.channelId ?? frame.channel?.id ?? frame.message?.channelId;
  if (frame.type === 'channel-new' || frame.type === 'channel-update') {
    channels.set(frame.channel.id, frame.channel);
    if (current?.id === frame.channel.id) current = frame.channel;
  } else if (frame.type === 'channel-delete') {
    channels.delete(channelId);
    if (current?.id === channelId) {
      current = null;
      say($('#no-channel'), 'This channel was deleted.');
    }
  } else if (current?.id === channelId) {
    if (frame.type === 'message-new' || frame.type === 'message-update') upsert(frame.message);
    if (frame.type === 'message-delete') {
      messages = messages.filter((m) => m.id !== frame.messageId);
      renderMessages({ scroll: false });
    }
    return;
  }
  renderChannels();
  renderChannel();
}

export function init(element) {
  section = element;
  $('#channel-form').addEventListener('submit', createChannel);
  $('#message-form').addEventListener('submit', sendMessage);
  $('#message-body').addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault();
      event.currentTarget.form.requestSubmit();
    }
  });
  $('#rename-form').addEventListener('submit', rename);
  $('#member-form').addEventListener('submit', addMember);
  $('#delete-channel').addEventListener('click', deleteChannel);
  $('#channels-next').addEventListener('click', () => loadChannels(true).catch(problem));
  $('#older-messages').addEventListener('click', async () => {
    try {
      const older = await page(messages[0]?.id);
      messages = [...older, ...messages];
      renderMessages({ scroll: false });
    } catch (error) {
      problem(error);
    }
  });
  live.subscribe(onPush);
  live.onState((state) => {
    $('#live-state').textContent = { live: 'Live', connecting: 'Connecting…', reconnecting: 'Reconnecting…', off: '' }[state];
  });
  live.start();
}

export async function show([id] = []) {
  if (!session.signedIn) return;
  live.start();
  if (!id) {
    current = null;
    $('#no-channel').textContent = 'Pick a channel, or create one.';
    try {
      await loadChannels();
    } catch (error) {
      problem(error);
    }
    renderChannel();
    return;
  }
  if (id !== current?.id) await openChannel(id);
}

export function sessionChanged() {
  channels.clear();
  current = null;
  messages = [];
}
