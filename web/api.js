// The JSON API client. The session token lives in an HttpOnly cookie the
// script never sees; writes echo the readable CSRF cookie in X-CSRF-Token.

// Production serves the cookies with the `__Host-` prefix (HTTPS only,
// this host only), so a sibling subdomain cannot plant them.
const CSRF_COOKIES = ['__Host-cinerank_csrf', 'cinerank_csrf'];

function csrfToken() {
  for (const name of CSRF_COOKIES) {
    const value = cookie(name);
    if (value) return value;
  }
  return null;
}

function cookie(name) {
  for (const part of document.cookie.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name && rest.length) return rest.join('=');
  }
  return null;
}

/**
 * Whether the browser probably holds a session. The CSRF cookie is set and
 * expires together with the HttpOnly session cookie, so visitors never send
 * a request that is bound to fail with 401.
 */
export function hasSession() {
  return Boolean(csrfToken());
}

/** A non-2xx answer, with the envelope's code, message and details. */
export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details || null;
  }
}

/** Calls `/api/v1{path}`; resolves to the parsed JSON (null for 204). */
export async function api(method, path, body, headers = {}) {
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json', ...headers } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (method !== 'GET' && method !== 'HEAD') {
    const token = csrfToken();
    if (token) init.headers['X-CSRF-Token'] = token;
  }
  let response;
  try {
    response = await fetch(`/api/v1${path}`, init);
  } catch {
    throw new ApiError(0, 'network', 'network error');
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const error = data && data.error ? data.error : {};
    throw new ApiError(response.status, error.code || 'error', error.message || response.statusText, error.details);
  }
  return data;
}

/** `?key=value&…` from an object, skipping empty values. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}
