// Sign up, sign in, the profile (names, Gravatar photo) and sign out.
import { ApiError, getJson, request, send } from './api.js';
import { session } from './session.js';
import { say, showFieldErrors } from './dom.js';

let section;

function messageOf(form) {
  return form.querySelector('.message');
}

function formValues(form) {
  return Object.fromEntries(new FormData(form));
}

/** Shows what went wrong: field errors beside their fields, anything else under the form. */
function showProblem(form, error, conflictFields = {}) {
  if (!(error instanceof ApiError)) throw error;
  let fields = error.fields;
  if (error.status === 409) {
    const field = Object.entries(conflictFields).find(([word]) => error.message.includes(word))?.[1];
    if (field) fields = { [field]: error.message };
  }
  const beside = showFieldErrors(form, fields);
  say(messageOf(form), beside ? 'Please correct the fields marked above.' : error.message, 'error');
}

async function signUp(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const values = formValues(form);
  const missing = {};
  for (const [name, label] of [['email', 'E-mail'], ['userName', 'User name'], ['password', 'Password']]) {
    if (!values[name]) missing[name] = `${label} is required`;
  }
  if (values.password && values.password !== values.passwordConf) missing.passwordConf = 'must equal the password';
  if (showFieldErrors(form, missing)) {
    say(messageOf(form), 'Please correct the fields marked above.', 'error');
    return;
  }
  try {
    const response = await request('POST', '/v1/users', { body: values });
    const user = await response.json();
    const token = (response.headers.get('Authorization') ?? '').replace(/^Bearer\s+/i, '');
    form.reset();
    say(messageOf(form), '');
    if (token) session.start(token, user);
    else say(messageOf(form), 'Signed up: now sign in.', 'ok');
  } catch (error) {
    showProblem(form, error, { 'e-mail': 'email', email: 'email', user: 'userName' });
  }
}

async function signIn(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const values = formValues(form);
  showFieldErrors(form, {});
  try {
    const created = await send('POST', '/v1/sessions', values);
    form.reset();
    say(messageOf(form), '');
    session.start(created.token, created.user, created.expiresAt);
  } catch (error) {
    showProblem(form, error);
  }
}

async function saveProfile(event) {
  event.preventDefault();
  const form = event.currentTarget;
  try {
    const user = await send('PATCH', '/v1/users/me', formValues(form));
    showFieldErrors(form, {});
    session.updateUser(user);
    say(messageOf(form), 'Profile saved.', 'ok');
  } catch (error) {
    showProblem(form, error);
  }
}

async function signOut() {
  try {
    await request('DELETE', '/v1/sessions/mine');
  } catch {
    // Revoked or expired already: the token is dropped all the same.
  }
  session.end();
  location.hash = '#/account';
}

function render() {
  const user = session.user;
  if (!user) return;
  section.querySelector('#profile-user-name').textContent = user.userName;
  section.querySelector('#profile-email').textContent = user.email ?? '';
  section.querySelector('#profile-id').textContent = user.id;
  const photo = section.querySelector('#photo');
  if (user.photoUrl && photo.getAttribute('src') !== user.photoUrl) photo.src = user.photoUrl;
  const form = section.querySelector('#profile');
  if (!form.contains(document.activeElement)) {
    form.elements.firstName.value = user.firstName ?? '';
    form.elements.lastName.value = user.lastName ?? '';
  }
}

export function init(element) {
  section = element;
  section.querySelector('#sign-up').addEventListener('submit', signUp);
  section.querySelector('#sign-in').addEventListener('submit', signIn);
  section.querySelector('#profile').addEventListener('submit', saveProfile);
  section.querySelector('#sign-out').addEventListener('click', signOut);
}

export async function show() {
  render();
  if (!session.signedIn) return;
  try {
    session.updateUser(await getJson('/v1/users/me'));
  } catch {
    // Signed out by a 401, or the service is away: what is stored still shows.
  }
}

export function sessionChanged() {
  render();
}
