/*
 * client.mjs — the real npm `better-auth` client with a cookie jar.
 *
 * Node's fetch keeps no cookies, so makeClient() hands createAuthClient a
 * customFetchImpl that (like a browser on http://localhost:3000) sends the
 * jar's cookies and an Origin header, and stores every Set-Cookie answer.
 *
 * How better-auth 1.7.25 builds requests (read from node_modules):
 *   - createAuthClient({baseURL: "http://host:port"}) appends basePath
 *     "/api/auth" when the URL has no path (utils/url.mjs withPath);
 *   - auth.signIn.email({...}) -> "/sign-in/email" (kebab-case of the path);
 *     POST when the call has a body, else GET; /sign-out, /revoke-sessions,
 *     /revoke-other-sessions, /delete-user are always POST (client/config.mjs);
 *   - customFetchImpl(url: URL, init) where init.headers is a Headers object;
 *   - success: {data, error:null}, JSON parsed with ISO strings turned into
 *     Dates (client/parser.mjs); failure: {data:null, error:{...body, status,
 *     statusText}} (@better-fetch/fetch).
 */
import { createAuthClient } from 'better-auth/client';
import { usernameClient } from 'better-auth/client/plugins';
import { TRUSTED_ORIGIN } from './server.mjs';

/** Parses one Set-Cookie header: {name, value (raw), attrs (lower-case keys), raw}. */
export function parseSetCookie(raw) {
  const parts = raw.split(';');
  const first = parts.shift();
  const eq = first.indexOf('=');
  const name = (eq < 0 ? first : first.slice(0, eq)).trim();
  const value = eq < 0 ? '' : first.slice(eq + 1).trim();
  const attrs = {};
  for (const p of parts) {
    const i = p.indexOf('=');
    const k = (i < 0 ? p : p.slice(0, i)).trim().toLowerCase();
    if (!k) continue;
    attrs[k] = i < 0 ? true : p.slice(i + 1).trim();
  }
  return { name, value, attrs, raw };
}

export class CookieJar {
  constructor() { this.map = new Map(); }

  /** Applies a list of Set-Cookie headers (Max-Age<=0 / past Expires deletes). */
  store(setCookies) {
    for (const raw of setCookies) {
      const c = parseSetCookie(raw);
      if (!c.name) continue;
      const maxAge = c.attrs['max-age'];
      const expires = c.attrs.expires ? Date.parse(c.attrs.expires) : NaN;
      const dead = (maxAge !== undefined && Number(maxAge) <= 0) ||
        (!Number.isNaN(expires) && expires <= Date.now()) ||
        c.value === '' || c.value === '""';
      if (dead) this.map.delete(c.name);
      else this.map.set(c.name, c.value);
    }
  }

  /** Raw (as sent, URL-encoded) value, or undefined. */
  get(name) { return this.map.get(name); }
  /** URL-decoded value, or undefined. */
  decoded(name) {
    const v = this.map.get(name);
    return v === undefined ? undefined : decodeURIComponent(v);
  }
  set(name, value) { this.map.set(name, value); }
  delete(name) { this.map.delete(name); }
  clear() { this.map.clear(); }
  has(name) { return this.map.has(name); }
  names() { return [...this.map.keys()]; }
  /** Cookie request header, or '' when empty. */
  header() { return [...this.map].map(([k, v]) => `${k}=${v}`).join('; '); }
  snapshot() { return new Map(this.map); }
  restore(snap) { this.map = new Map(snap); }
}

/**
 * makeClient(url) -> {auth, jar, fetch, last, history, url, origin}
 *   auth     createAuthClient from the npm package, talking to `url`/api/auth
 *   jar      its cookies
 *   fetch    the jar-aware fetch (for hand-made requests through the jar)
 *   last()   {method, url, status, headers, setCookies, text} of the last response
 * Options: origin (null: send none), userAgent, headers (sent on every request),
 *          plugins (default [usernameClient()]).
 */
export function makeClient(url, {
  origin = TRUSTED_ORIGIN,
  userAgent = 'gatehouse-blackbox/1.0',
  headers: extraHeaders = {},
  plugins = [usernameClient()],
} = {}) {
  const jar = new CookieJar();
  const history = [];
  let last = null;

  async function jarFetch(input, init = {}) {
    const headers = new Headers(init.headers || {});
    for (const [k, v] of Object.entries(extraHeaders)) if (!headers.has(k)) headers.set(k, v);
    if (origin && !headers.has('origin')) headers.set('origin', origin);
    if (userAgent && !headers.has('user-agent')) headers.set('user-agent', userAgent);
    const cookie = jar.header();
    if (cookie && !headers.has('cookie')) headers.set('cookie', cookie);
    const res = await fetch(input, { ...init, headers });
    const setCookies = res.headers.getSetCookie();
    jar.store(setCookies);
    const text = await res.clone().text();
    last = {
      method: init.method || 'GET',
      url: String(input),
      status: res.status,
      headers: res.headers,
      setCookies,
      text,
    };
    history.push(last);
    if (history.length > 50) history.shift();
    return res;
  }

  const auth = createAuthClient({
    baseURL: url,
    plugins,
    fetchOptions: { customFetchImpl: jarFetch },
  });

  return { auth, jar, fetch: jarFetch, last: () => last, history, url, origin };
}
