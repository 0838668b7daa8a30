// The HTTP contract (shared/API.md) as the pages call it: JSON in and out, the bearer token added,
// problems (RFC 9457) turned into ApiError with the field errors of a 422.
import { session } from './session.js';

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `the server answered ${status}`);
    this.status = status;
    this.problem = problem;
  }

  /** The 422's field errors as { field: message }. */
  get fields() {
    const fields = {};
    for (const { field, message } of this.problem.errors ?? []) {
      fields[field] = fields[field] ? `${fields[field]}; ${message}` : message;
    }
    return fields;
  }
}

export async function problemOf(status, text) {
  try {
    return JSON.parse(text);
  } catch {
    return { status, detail: status >= 500 ? 'the service is not answering; try again in a moment' : text };
  }
}

/** Sends a request and returns the Response, throwing ApiError for any status that is not 2xx. */
export async function request(method, path, { body, headers = {}, signal } = {}) {
  const sent = { ...headers };
  if (body !== undefined) sent['Content-Type'] = 'application/json';
  const token = session.token;
  if (token) sent.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: sent,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ApiError(0, { detail: 'the server cannot be reached; check your connection' });
  }
  if (response.ok) return response;
  const problem = await problemOf(response.status, await response.text());
  // A revoked or expired token: the session is over, here and in the other tabs.
  if (response.status === 401 && token && token === session.token) session.end();
  throw new ApiError(response.status, problem);
}

/**
 * A conditional GET: `{ unchanged: true }` while the resource still has `etag` (the server answered
 * 304), otherwise `{ body, etag }` with its new validator.
 */
export async function getJsonUnlessUnchanged(path, etag) {
  const token = session.token;
  const headers = { ...(etag ? { 'If-None-Match': etag } : {}), ...(token ? { Authorization: `Bearer ${token}` } : {}) };
  let response;
  try {
    response = await fetch(path, { headers });
  } catch {
    throw new ApiError(0, { detail: 'the server cannot be reached; check your connection' });
  }
  if (response.status === 304) return { unchanged: true };
  if (!response.ok) throw new ApiError(response.status, await problemOf(response.status, await response.text()));
  return { body: await response.json(), etag: response.headers.get('ETag') };
}

export async function getJson(path, options) {
  return (await request('GET', path, options)).json();
}

export async function send(method, path, body) {
  const response = await request(method, path, { body });
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

/** `path` with the query parameters that have a value. */
export function withQuery(path, params) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') query.set(name, value);
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}
