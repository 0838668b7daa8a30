// The web app end to end in headless Chromium (Playwright's playwright-core, Debian's chromium): every
// flow a user has, as a user does it, against the stack whose nginx is at REPRISE_URL. Run by
// e2e/tests/api/browser.rs; the tools come from scripts/browser-tools.sh. Screenshots of each page at
// 375 px and 1280 px go to REPRISE_SCREENSHOTS; any console error fails the run.
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';

const env = (name) => process.env[name] ?? assert.fail(`${name} is not set`);
const base = env('REPRISE_URL');
const video = env('REPRISE_VIDEO');
const uploadLimit = Number(env('REPRISE_UPLOAD_LIMIT'));
const shots = env('REPRISE_SCREENSHOTS');
const require = createRequire(join(env('REPRISE_BROWSER_TOOLS'), 'package.json'));
const { chromium, expect } = loadPlaywright();

function loadPlaywright() {
  const playwright = require('playwright-core');
  return { chromium: playwright.chromium, expect: null };
}

const run = Math.random().toString(36).slice(2, 8);
const started = Date.now();
const consoleErrors = [];
// The browser logs every HTTP error answer as a console error; these are answers the tests provoke on
// purpose and the app shows (unknown game, invalid fields, conflicts, too large, not a video).
const PROVOKED = /Failed to load resource: the server responded with a status of (404|409|413|415|422)/;

mkdirSync(shots, { recursive: true });

async function step(name, body) {
  const at = Date.now();
  await body();
  console.log(`ok   ${name} (${((Date.now() - at) / 1000).toFixed(1)} s)`);
}

/** Polls `check` (which throws or returns falsy) until it passes, for up to `ms`. */
async function eventually(what, check, ms = 15000) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== false && value !== undefined && value !== null) return value;
      last = new Error(`${what}: not yet`);
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new Error(`timed out waiting for ${what}: ${last?.message}`);
}

async function textOf(locator) {
  return (await locator.textContent({ timeout: 2000 })) ?? '';
}

async function screenshots(page, name) {
  for (const width of [375, 1280]) {
    await page.setViewportSize({ width, height: 900 });
    await page.waitForTimeout(100);
    await page.screenshot({ path: join(shots, `${name}-${width}.png`), fullPage: true });
  }
  // No page is wider than the phone's screen: nothing to scroll sideways at 375 px.
  await page.setViewportSize({ width: 375, height: 900 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `${name} scrolls sideways at 375 px by ${overflow} px`);
  await page.setViewportSize({ width: 1280, height: 900 });
}

function watch(page, who) {
  page.on('console', (message) => {
    if (message.type() === 'error' && !PROVOKED.test(message.text())) consoleErrors.push(`${who}: ${message.text()}`);
  });
  page.on('pageerror', (error) => consoleErrors.push(`${who}: ${error.message}`));
  page.on('dialog', (dialog) => dialog.accept());
  return page;
}

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

async function newUser(browser, name) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  // The closed network cannot reach Gravatar: it answers with a one-pixel picture instead.
  await context.route('https://www.gravatar.com/**', (route) => route.fulfill({ contentType: 'image/png', body: PNG }));
  const page = watch(await context.newPage(), name);
  return { context, page, name, email: `${name}@example.com` };
}

async function api(method, path, token, body) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  assert.ok(response.ok, `${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

const tokenOf = (page) => page.evaluate(() => JSON.parse(localStorage.getItem('reprise.session')).token);

async function signUp(user) {
  const { page } = user;
  await page.goto(`${base}/#/account`);
  const form = page.getByRole('form', { name: 'Sign up' });
  await form.getByLabel('E-mail', { exact: true }).fill(user.email);
  await form.getByLabel('User name', { exact: true }).fill(user.name);
  await form.getByLabel('Password', { exact: true }).fill('correct horse');
  await form.getByLabel('Confirm password', { exact: true }).fill('correct horse');
  await form.getByRole('button', { name: 'Sign up', exact: true }).click();
  await page.getByText(`Signed in as ${user.name}`).waitFor();
  user.id = (await textOf(page.locator('#profile-id'))).trim();
  assert.match(user.id, /^[0-9a-f-]{36}$/);
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

try {
  const ada = await newUser(browser, `ada${run}`);
  const bob = await newUser(browser, `bob${run}`);
  // Bob's WebSockets pass through the test, which can cut one as a network failure would.
  const bobsSockets = [];
  await bob.context.routeWebSocket(/\/v1\/ws/, (socket) => {
    bobsSockets.push(socket);
    socket.connectToServer();
  });

  await step('account: sign-up shows the API\'s field errors beside their fields', async () => {
    const { page } = ada;
    await page.goto(`${base}/`);
    await page.getByRole('navigation').getByRole('link', { name: 'Account', exact: true }).click();
    const form = page.getByRole('form', { name: 'Sign up' });
    await form.getByLabel('E-mail', { exact: true }).fill(ada.email);
    await form.getByLabel('User name', { exact: true }).fill(ada.name);
    await form.getByLabel('Password', { exact: true }).fill('short');
    await form.getByLabel('Confirm password', { exact: true }).fill('short');
    await form.getByRole('button', { name: 'Sign up', exact: true }).click();
    const error = page.locator('#sign-up-password-error');
    await error.waitFor();
    assert.match(await textOf(error), /at least 8/);
    assert.equal(await form.getByLabel('Password', { exact: true }).getAttribute('aria-invalid'), 'true');
    await screenshots(page, 'sign-up-errors');
  });

  await step('account: sign up, edit the profile, Gravatar photo, the session survives a reload', async () => {
    await signUp(ada);
    const { page } = ada;
    const photo = page.getByRole('img', { name: 'Your photo' });
    assert.match(await photo.getAttribute('src'), /^https:\/\/www\.gravatar\.com\/avatar\/[0-9a-f]{32}/);
    const profile = page.getByRole('form', { name: 'Profile' });
    await profile.getByLabel('First name', { exact: true }).fill('Ada');
    await profile.getByLabel('Last name', { exact: true }).fill('Lovelace');
    await profile.getByRole('button', { name: 'Save profile' }).click();
    await page.getByText('Profile saved.').waitFor();
    await page.reload();
    await page.getByText(`Signed in as ${ada.name}`).waitFor();
    await eventually('the saved names after a reload', async () =>
      (await page.getByLabel('Last name', { exact: true }).inputValue()) === 'Lovelace');
    await screenshots(page, 'account');
  });

  await step('account: signing out in one tab signs out the others; signing in with the keyboard', async () => {
    const { page } = ada;
    const other = watch(await ada.context.newPage(), `${ada.name} (second tab)`);
    await other.goto(`${base}/#/account`);
    await other.getByText(`Signed in as ${ada.name}`).waitFor();
    const token = await tokenOf(other);
    await other.getByRole('button', { name: 'Sign out' }).click();
    await other.getByRole('form', { name: 'Sign in' }).waitFor();
    await page.getByRole('form', { name: 'Sign in' }).waitFor();
    assert.equal(await page.getByText(`Signed in as ${ada.name}`).count(), 0);
    const revoked = await fetch(`${base}/v1/users/me`, { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(revoked.status, 401, 'the signed-out token is revoked');
    await other.close();
    const form = page.getByRole('form', { name: 'Sign in' });
    await form.getByLabel('E-mail', { exact: true }).fill(ada.email);
    await form.getByLabel('Password', { exact: true }).fill('correct horse');
    await form.getByLabel('Password', { exact: true }).press('Enter');
    await page.getByText(`Signed in as ${ada.name}`).waitFor();
    await signUp(bob);
  });

  await step('keyboard: the sections are reached by keyboard, and focus lands on the section\'s heading', async () => {
    const { page } = bob;
    await page.reload();
    await page.getByText(`Signed in as ${bob.name}`).waitFor();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Skip to content');
    let guard = 0;
    while ((await page.evaluate(() => document.activeElement.textContent)) !== 'Jobs' && guard < 10) {
      await page.keyboard.press('Tab');
      guard += 1;
    }
    await page.keyboard.press('Enter');
    await eventually('the Jobs heading focused', async () => (await page.evaluate(() => document.activeElement.id)) === 'jobs-title');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'job-message', 'the first field next');
  });

  const game = `game${run}`;
  const server = await api('POST', '/v1/sessions', undefined, { email: ada.email, password: 'correct horse' });
  const post = (player, score) => api('POST', '/v1/scores', server.token, { game, player, score, region: 'eu' });

  await step('leaderboards: an unknown game says so; scores appear while they arrive', async () => {
    const { page } = ada;
    await page.getByRole('navigation').getByRole('link', { name: 'Leaderboards', exact: true }).click();
    await page.getByLabel('Game', { exact: true }).fill(game);
    await page.getByLabel('Game', { exact: true }).press('Enter');
    await page.getByText(`There is no game called “${game}”`).waitFor();
    await post('p00', 100);
    const rows = page.locator('#board tbody tr');
    await eventually('the first score on the board, without a reload', async () => (await rows.count()) === 1);
    await Promise.all(Array.from({ length: 30 }, (_, i) => post(`p${String(i + 1).padStart(2, '0')}`, 1000 + i * 10)));
    await eventually('a full first page, without a reload', async () => (await rows.count()) === 25);
    assert.deepEqual(await page.locator('#board thead th').allTextContents(), ['Rank', 'Player', 'Score', 'Achieved']);
    assert.equal(await textOf(rows.first().locator('th')), 'p30');
    await post('p00', 5000);
    await eventually('p00 climbing to the top, without a reload', async () => (await textOf(rows.first().locator('th'))) === 'p00');
    // While nothing changes, a poll is a conditional request the server answers 304, without a body.
    await page.waitForResponse((r) => r.url().includes(`/v1/leaderboards/${game}`) && r.status() === 304, { timeout: 10000 });
    await screenshots(page, 'leaderboard');
  });

  await step('leaderboards: next pages, around a player, period and region, the empty state', async () => {
    const { page } = ada;
    const rows = page.locator('#board tbody tr');
    await page.getByRole('button', { name: 'Next page' }).click();
    await eventually('the second page', async () => (await rows.count()) === 6 && (await textOf(rows.first().locator('td').first())) === '26');
    await page.getByRole('button', { name: 'First page' }).click();
    await page.getByLabel('Around player', { exact: true }).fill('p15');
    await page.getByRole('button', { name: 'Show' }).click();
    await eventually('the players around p15', async () => (await page.locator('#board tbody th', { hasText: 'p15' }).count()) === 1
      && (await textOf(rows.first().locator('td').first())) !== '1');
    await page.getByLabel('Around player', { exact: true }).fill('');
    await page.getByLabel('Period', { exact: true }).selectOption('week');
    await page.getByLabel('Region', { exact: true }).fill('eu');
    await page.getByRole('button', { name: 'Show' }).click();
    await eventually('the weekly European board', async () => (await textOf(page.locator('#board caption'))).includes('region eu'));
    await page.getByRole('button', { name: 'Refresh board' }).click();
    await page.getByText('Refresh succeeded.').waitFor();
    await page.getByLabel('Region', { exact: true }).fill('nowhere');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.getByText('make datagen ARGS="--duration 10s --rate 200"', { exact: false }).waitFor();
  });

  await step('jobs: a job scheduled for later is listed, one waiting for it too, and cancelling it cancels both; one for now runs; pages, status filter, 422 beside its field', async () => {
    const { page } = ada;
    await page.getByRole('navigation').getByRole('link', { name: 'Jobs', exact: true }).click();
    const form = page.getByRole('form', { name: 'Queue a job' });
    await form.getByLabel('Message', { exact: true }).fill('resize later');
    await form.getByLabel('Kind', { exact: true }).selectOption('message');
    await form.getByLabel('Priority', { exact: true }).fill('7');
    const tomorrow = new Date(Date.now() + 86400000 - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 16);
    await form.getByLabel('Run at', { exact: true }).fill(tomorrow);
    await form.getByLabel('Max attempts', { exact: true }).fill('5');
    await form.getByRole('button', { name: 'Queue job' }).click();
    // By the first cell: another job's status may name this one.
    const later = page.locator('#job-list tbody tr', { has: page.locator('th', { hasText: 'resize later' }) });
    await eventually('the scheduled job', async () => /scheduled|queued/.test(await textOf(later.locator('td').nth(1))));
    const laterId = await later.locator('th').getAttribute('title');
    await form.getByLabel('Message', { exact: true }).fill('mail after the resize');
    await form.getByLabel('Run at', { exact: true }).fill('');
    await form.getByLabel('Run after', { exact: true }).fill(laterId);
    await form.getByRole('button', { name: 'Queue job' }).click();
    const after = page.locator('#job-list tbody tr', { has: page.locator('th', { hasText: 'mail after the resize' }) });
    await eventually('the job waiting, naming the job it waits for', async () =>
      (await textOf(after.locator('td').nth(1))) === 'waiting for resize later');
    await page.getByLabel('Status', { exact: true }).selectOption('waiting');
    await eventually('only the waiting job', async () => (await page.locator('#job-list tbody tr').count()) === 1 && (await after.count()) === 1);
    await page.getByLabel('Status', { exact: true }).selectOption('');
    await later.getByRole('button', { name: 'Cancel', exact: true }).click();
    await eventually('the job cancelled', async () => (await textOf(later.locator('td').nth(1))).startsWith('cancelled'));
    await eventually('the waiting job cancelled with it, saying why', async () =>
      (await textOf(after.locator('td').nth(1))) === `cancelled: its dependency ${laterId} was cancelled`);
    await form.getByLabel('Message', { exact: true }).fill('resize now');
    await form.getByLabel('Run at', { exact: true }).fill('');
    await form.getByRole('button', { name: 'Queue job' }).click();
    const now = page.locator('#job-list tbody tr', { hasText: 'resize now' });
    await eventually('the job running to success, without a reload', async () =>
      (await textOf(now.locator('td').nth(1))) === 'succeeded', 30000);
    await form.getByLabel('Message', { exact: true }).fill('too urgent');
    await form.getByLabel('Priority', { exact: true }).fill('12');
    await form.getByRole('button', { name: 'Queue job' }).click();
    await page.locator('#job-priority-error').waitFor();
    await form.getByLabel('Priority', { exact: true }).fill('5');
    await page.getByRole('button', { name: 'Next page' }).click();
    await eventually('an older page of jobs', async () => (await now.count()) === 0 && (await page.locator('#job-list tbody tr').count()) > 0);
    await page.getByRole('button', { name: 'First page' }).click();
    await now.waitFor();
    await page.getByLabel('Status', { exact: true }).selectOption('cancelled');
    await eventually('only the cancelled jobs', async () => (await page.locator('#job-list tbody tr').count()) === 2 && (await later.count()) === 1 && (await after.count()) === 1);
    await screenshots(page, 'jobs');
    await page.getByLabel('Status', { exact: true }).selectOption('');
  });

  await step('queues: every kind with its counts, refreshing by itself; no controls without the admin scope; an admin pauses, limits and resumes a kind', async () => {
    const { page } = ada;
    await page.getByRole('navigation').getByRole('link', { name: 'Queues', exact: true }).click();
    const message = page.locator('#queue-list tbody tr[data-kind="message"]');
    const succeeded = async () => Number(await textOf(message.locator('td[data-status="succeeded"]')));
    await eventually('ada\'s finished job counted', async () => (await succeeded()) >= 1);
    assert.equal(await page.locator('#queue-list tbody tr[data-kind="webhook"]').count(), 1, 'every kind listed');
    assert.equal(await page.getByRole('button', { name: 'Pause' }).count(), 0, 'no controls without the admin scope');
    const before = await succeeded();
    await api('POST', '/v1/jobs', await tokenOf(page), { message: 'counted while watched' });
    await eventually('the new job counted without a reload', async () => (await succeeded()) > before, 30000);
    await screenshots(page, 'queues');

    const boss = await newUser(browser, 'boss');
    await signUp(boss);
    await boss.page.getByRole('navigation').getByRole('link', { name: 'Queues', exact: true }).click();
    const row = boss.page.locator('#queue-list tbody tr[data-kind="message"]');
    await row.getByRole('button', { name: 'Pause', exact: true }).click();
    await eventually('the kind paused', async () => (await textOf(row.locator('.queue-state'))) === 'paused');
    await row.getByLabel('Concurrency', { exact: true }).fill('0');
    await row.getByRole('button', { name: 'Save limits' }).click();
    await row.locator('.field-error[data-field="concurrency"]').waitFor();
    await row.getByLabel('Concurrency', { exact: true }).fill('3');
    await row.getByLabel('Starts per second', { exact: true }).fill('2.5');
    await row.getByRole('button', { name: 'Save limits' }).click();
    await eventually('the limits shown', async () => (await textOf(row.locator('.queue-limits-shown'))) === '3 at once, 2.5/s');
    await screenshots(boss.page, 'queues-admin');
    await row.getByRole('button', { name: 'Resume', exact: true }).click();
    await eventually('the kind running again', async () => (await textOf(row.locator('.queue-state'))) === 'running');
    await boss.context.close();
  });

  const title = `Jam night ${run}`;
  await step('meetups: announce one, newest first in pages, another user joins it, my meetups', async () => {
    const { page } = ada;
    await page.getByRole('navigation').getByRole('link', { name: 'Meetups', exact: true }).click();
    const form = page.getByRole('form', { name: 'Announce a meetup' });
    await form.getByLabel('Title', { exact: true }).fill(title);
    await form.getByLabel('Date and time', { exact: true }).fill('2031-12-01T19:00');
    await form.getByLabel('Location', { exact: true }).fill('The cellar');
    await form.getByLabel('Description', { exact: true }).fill('Bring a synth.');
    await form.getByRole('button', { name: 'Announce', exact: true }).click();
    await page.locator('#meetup-list li', { hasText: title }).waitFor();
    assert.ok((await textOf(page.locator('#meetup-list li').first())).includes(title), 'newest first');
    await screenshots(page, 'meetups');
    const token = await tokenOf(page);
    for (let i = 0; i < 12; i += 1) {
      await api('POST', '/v1/events', token, { title: `Rehearsal ${i}`, dateTime: '2031-11-01T18:00:00Z', location: 'Hall', description: '' });
    }
    await page.reload();
    const cards = page.locator('#meetup-list > li');
    await eventually('a first page of meetups', async () => (await cards.count()) === 12);
    assert.equal(await textOf(cards.first().locator('h3')), 'Rehearsal 11', 'newest first');
    await page.getByRole('button', { name: 'More meetups' }).click();
    await eventually('the next page of meetups', async () => (await cards.count()) === 13);
    assert.equal(await textOf(cards.last().locator('h3')), title);
    await bob.page.getByRole('navigation').getByRole('link', { name: 'Meetups', exact: true }).click();
    await bob.page.getByRole('button', { name: 'More meetups' }).click();
    await bob.page.locator('#meetup-list li', { hasText: title }).getByRole('button', { name: 'Join', exact: true }).click();
    await bob.page.getByText(`You joined ${title}.`).waitFor();
    await bob.page.locator('#my-meetups li', { hasText: title }).waitFor();
  });

  const lobby = `lobby-${run}`;
  const secret = `secret-${run}`;
  await step('chat: public and private channels, live messages both ways, edit and delete', async () => {
    await ada.page.getByRole('navigation').getByRole('link', { name: 'Chat', exact: true }).click();
    await bob.page.getByRole('navigation').getByRole('link', { name: 'Chat', exact: true }).click();
    await eventually('both sockets live', async () =>
      (await textOf(ada.page.locator('#live-state'))) === 'Live' && (await textOf(bob.page.locator('#live-state'))) === 'Live');
    const create = async (name, isPrivate) => {
      const form = ada.page.getByRole('form', { name: 'New channel' });
      await form.getByLabel('Channel name', { exact: true }).fill(name);
      await form.getByLabel('Private', { exact: true }).setChecked(isPrivate);
      await form.getByRole('button', { name: 'Create channel' }).click();
      await ada.page.locator('#channel-title', { hasText: name }).waitFor();
    };
    await create(secret, true);
    await create(lobby, false);
    const channel = (user, name) => user.page.locator('#channel-list button', { hasText: name });
    await channel(bob, lobby).waitFor();
    assert.equal(await channel(bob, secret).count(), 0, 'a private channel is not shown to a non-member');
    await channel(bob, lobby).click();
    await bob.page.locator('#channel-title', { hasText: lobby }).waitFor();

    await ada.page.locator('#chat').getByLabel('Message', { exact: true }).fill('hello from ada');
    await ada.page.getByRole('button', { name: 'Send' }).click();
    await bob.page.locator('#message-list li', { hasText: 'hello from ada' }).waitFor();
    await bob.page.locator('#chat').getByLabel('Message', { exact: true }).fill('hi ada');
    await bob.page.locator('#chat').getByLabel('Message', { exact: true }).press('Enter');
    await ada.page.locator('#message-list li', { hasText: 'hi ada' }).waitFor();
    assert.equal(await bob.page.locator('#message-list li', { hasText: 'hello from ada' }).getByRole('button').count(), 0,
      'no edit or delete on another user\'s message');

    const mine = ada.page.locator('#message-list li', { hasText: 'hello from ada' });
    await mine.getByRole('button', { name: 'Edit', exact: true }).click();
    await ada.page.getByLabel('Edit message', { exact: true }).fill('hello from ada, edited');
    // A message arriving live while ada edits re-renders her list; her draft stays.
    await bob.page.locator('#chat').getByLabel('Message', { exact: true }).fill('are you editing?');
    await bob.page.locator('#chat').getByLabel('Message', { exact: true }).press('Enter');
    await ada.page.locator('#message-list li', { hasText: 'are you editing?' }).waitFor();
    assert.equal(await ada.page.getByLabel('Edit message', { exact: true }).inputValue(), 'hello from ada, edited',
      'an edit in progress survives a live message');
    await ada.page.getByRole('button', { name: 'Save', exact: true }).click();
    await bob.page.locator('#message-list li', { hasText: 'hello from ada, edited' }).waitFor();
    await ada.page.locator('#message-list li', { hasText: 'hello from ada, edited' })
      .getByRole('button', { name: 'Delete', exact: true }).click();
    await eventually('the deleted message gone on the other side', async () =>
      (await bob.page.locator('#message-list li', { hasText: 'hello from ada' }).count()) === 0);

    const before = bobsSockets.length;
    await bobsSockets.at(-1).close({ code: 4000, reason: 'cut by the test' });
    await bob.page.locator('#live-state', { hasText: 'Reconnecting' }).waitFor();
    await ada.page.locator('#chat').getByLabel('Message', { exact: true }).fill('while you were away');
    await ada.page.getByRole('button', { name: 'Send' }).click();
    await ada.page.locator('#message-list li', { hasText: 'while you were away' }).waitFor();
    await bob.page.locator('#live-state', { hasText: 'Live' }).waitFor();
    await bob.page.locator('#message-list li', { hasText: 'while you were away' }).waitFor();
    assert.equal(bobsSockets.length, before + 1, 'one reconnect');
    await screenshots(ada.page, 'chat');
    await screenshots(bob.page, 'chat-other-user');
  });

  await step('chat: members of a private channel, rename, delete; older pages', async () => {
    const { page } = ada;
    await page.locator('#channel-list button', { hasText: secret }).click();
    await page.getByText('Channel settings').click();
    await page.getByLabel('User id', { exact: true }).fill(bob.id);
    await page.getByRole('button', { name: 'Add member' }).click();
    await page.locator('#member-list li', { hasText: bob.name }).waitFor();
    const bobsView = bob.page.locator('#channel-list button', { hasText: secret });
    await eventually('the private channel pushed to its new member', async () => (await bobsView.count()) === 1);
    await page.getByLabel('New name', { exact: true }).fill(`${secret}-renamed`);
    await page.getByRole('button', { name: 'Rename' }).click();
    await page.locator('#channel-title', { hasText: `${secret}-renamed` }).waitFor();
    await bob.page.locator('#channel-list button', { hasText: `${secret}-renamed` }).waitFor();
    await page.locator('#member-list li', { hasText: bob.name }).getByRole('button', { name: 'Remove', exact: true }).click();
    await eventually('bob removed', async () => (await page.locator('#member-list li', { hasText: bob.name }).count()) === 0);
    await eventually('the private channel gone for the removed member', async () =>
      (await bob.page.locator('#channel-list button', { hasText: secret }).count()) === 0);
    await page.getByRole('button', { name: 'Delete channel' }).click();
    await eventually('the channel gone', async () => (await page.locator('#channel-list button', { hasText: secret }).count()) === 0);

    const token = await tokenOf(page);
    const lobbyId = (await api('GET', '/v1/channels?limit=100', token)).items.find((c) => c.name === lobby).id;
    for (let i = 0; i < 101; i += 1) await api('POST', `/v1/channels/${lobbyId}`, token, { body: `filler ${i}` });
    await page.goto(`${base}/#/chat/${lobbyId}`);
    await page.reload();
    await page.getByRole('button', { name: 'Older messages' }).click();
    await page.locator('#message-list li', { hasText: 'hi ada' }).waitFor();
  });

  await step('conversions: upload with progress, the MP3 downloaded; a failed one, 413 and 415 explained', async () => {
    const { page } = ada;
    await page.getByRole('navigation').getByRole('link', { name: 'Conversions', exact: true }).click();
    assert.equal(await page.getByRole('link', { name: 'mail inbox' }).getAttribute('href'), 'http://127.0.0.1:1080');
    const form = page.getByRole('form', { name: 'Video to MP3' });
    await form.getByLabel('Video file', { exact: true }).setInputFiles(video);
    await form.getByRole('button', { name: 'Convert', exact: true }).click();
    await page.getByText(/^Uploaded browser-sample-2s\.mp4: converting/).waitFor();
    assert.equal(await page.getByLabel('Upload progress', { exact: true }).evaluate((bar) => bar.value), 100);
    const download = page.locator('#conversion-list tr', { hasText: 'browser-sample-2s.mp4' }).getByRole('button', { name: 'Download MP3', exact: true });
    await download.waitFor({ timeout: 60000 });
    const [file] = await Promise.all([page.waitForEvent('download'), download.click()]);
    assert.equal(file.suggestedFilename(), 'browser-sample-2s.mp3');
    const saved = join(shots, '..', 'tmp', `browser-${run}.mp3`);
    mkdirSync(join(shots, '..', 'tmp'), { recursive: true });
    await file.saveAs(saved);
    const head = readFileSync(saved).subarray(0, 3);
    assert.ok(statSync(saved).size > 1000 && (head.toString() === 'ID3' || head[0] === 0xff), 'an MP3 file');

    const noise = Buffer.alloc(50000);
    for (let i = 0; i < noise.length; i += 1) noise[i] = (i * 2654435761) >>> 13;
    await form.getByLabel('Video file', { exact: true }).setInputFiles({ name: 'noise.mp4', mimeType: 'video/mp4', buffer: noise });
    await form.getByRole('button', { name: 'Convert', exact: true }).click();
    await page.locator('#conversion-list tr', { hasText: 'noise.mp4' }).getByText(/^failed: .+/).waitFor({ timeout: 30000 });
    assert.equal(await page.locator('#conversion-list tr', { hasText: 'noise.mp4' }).getByRole('button').count(), 0, 'no download');

    await form.getByLabel('Video file', { exact: true })
      .setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a video') });
    await form.getByRole('button', { name: 'Convert', exact: true }).click();
    await page.getByText('That file is not a video').waitFor();
    await form.getByLabel('Video file', { exact: true })
      .setInputFiles({ name: 'huge.mp4', mimeType: 'video/mp4', buffer: Buffer.alloc(uploadLimit + 512 * 1024) });
    await form.getByRole('button', { name: 'Convert', exact: true }).click();
    const refused = page.getByText(/too large|cut off/);
    await refused.waitFor();
    console.log(`     413 shown as: ${await textOf(refused)}`);
    await screenshots(page, 'conversions');
  });

  assert.deepEqual(consoleErrors, [], 'no console errors');
} finally {
  await browser.close();
  if (consoleErrors.length) console.error(`console errors:\n${consoleErrors.join('\n')}`);
  console.log(`browser test: ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
