// Meetups and chat through nginx: sign in, list and join meetups, pick a channel, read and post
// messages; new messages and channels arrive over the WebSocket at /v1/ws.
const $ = (id) => document.getElementById(id);
let token = sessionStorage.getItem('reprise-token');
let current = null; // the channel shown
let socket = null;

async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(answer.detail || answer.title || response.statusText);
  return answer;
}

function item(text, onClick) {
  const li = document.createElement('li');
  const link = document.createElement('a');
  link.href = '#';
  link.textContent = text;
  link.addEventListener('click', (event) => { event.preventDefault(); onClick(); });
  li.append(link);
  return li;
}

function say(text) { $('status').textContent = text; }

async function showMeetups() {
  const page = await api('GET', '/v1/events?limit=20');
  $('meetups').replaceChildren(...page.items.map((meetup) => item(
    `${meetup.title} — ${new Date(meetup.dateTime).toLocaleString()}, ${meetup.location} (${meetup.memberCount} going)`,
    async () => { await api('POST', '/v1/events/join', { id: meetup.id }); await refresh(); openChannel(meetup.channelId, meetup.title); },
  )));
}

async function showChannels() {
  const page = await api('GET', '/v1/channels?limit=100');
  $('channels').replaceChildren(...page.items.map((channel) =>
    item(`${channel.private ? '🔒 ' : '#'}${channel.name}`, () => openChannel(channel.id, channel.name))));
}

function messageItem(message) {
  const li = document.createElement('li');
  li.id = `message-${message.id}`;
  li.textContent = `${new Date(message.createdAt).toLocaleTimeString()} · ${message.body}`;
  return li;
}

async function openChannel(id, name) {
  current = id;
  $('channel').hidden = false;
  $('channel-name').textContent = name;
  try {
    const page = await api('GET', `/v1/channels/${id}`);
    $('messages').replaceChildren(...page.items.map(messageItem));
  } catch (error) { say(error.message); }
}

function listen() {
  socket?.close();
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  socket = new WebSocket(`${scheme}://${location.host}/v1/ws?auth=${encodeURIComponent(token)}`);
  socket.addEventListener('message', (event) => {
    const push = JSON.parse(event.data);
    if (push.type === 'message-new' && push.channelId === current) $('messages').prepend(messageItem(push.message));
    if (push.type === 'message-update' && push.channelId === current) $(`message-${push.message.id}`)?.replaceWith(messageItem(push.message));
    if (push.type === 'message-delete') $(`message-${push.messageId}`)?.remove();
    if (push.type.startsWith('channel-')) showChannels();
  });
  socket.addEventListener('close', () => setTimeout(() => token && listen(), 3000));
}

async function refresh() { await Promise.all([showMeetups(), showChannels()]); }

async function start() {
  $('sign-in').hidden = true;
  $('signed-in').hidden = false;
  await refresh();
  listen();
}

function submit(id, action) {
  $(id).addEventListener('submit', async (event) => {
    event.preventDefault();
    try { await action(new FormData(event.target)); event.target.reset(); say(''); } catch (error) { say(error.message); }
  });
}

submit('sign-in', async (data) => {
  const response = await fetch('/v1/sessions', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: data.get('email'), password: data.get('password') }),
  });
  const answer = await response.json();
  if (!response.ok) throw new Error(answer.detail || 'could not sign in');
  token = answer.token;
  sessionStorage.setItem('reprise-token', token);
  await start();
});
submit('new-meetup', async (data) => {
  const dateTime = new Date(data.get('dateTime')).toISOString();
  await api('POST', '/v1/events', { title: data.get('title'), dateTime, location: data.get('location'), description: '' });
  await refresh();
});
submit('new-channel', async (data) => {
  const channel = await api('POST', '/v1/channels', { name: data.get('name'), private: data.get('private') === 'on' });
  await showChannels();
  openChannel(channel.id, channel.name);
});
submit('new-message', async (data) => { if (current) await api('POST', `/v1/channels/${current}`, { body: data.get('body') }); });

if (token) start().catch(() => { sessionStorage.removeItem('reprise-token'); token = null; $('sign-in').hidden = false; });
