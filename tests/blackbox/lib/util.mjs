/*
 * util.mjs — small helpers shared by the black-box tests: unique identities,
 * session-cookie signatures, result assertions and raw HTTP requests that
 * bypass fetch (so no header is added behind our back).
 */
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';

export const COOKIE = 'better-auth.session_token';
export const DONT_REMEMBER = 'better-auth.dont_remember';
/** A password that satisfies the policy and is on no blocklist. */
export const PASSWORD = 'Ungu3ssable-Quokka-Lantern-42';

let counter = 0;
/** A unique e-mail (lower-case) for this process. */
export function uniqueEmail(tag = 'u') {
  counter += 1;
  return `${tag}-${process.pid}-${Date.now().toString(36)}-${counter}-${randomBytes(3).toString('hex')}@example.com`;
}
/** A unique username matching ^[a-z0-9_.]{3,30}$. */
export function uniqueUsername(tag = 'u') {
  counter += 1;
  return `${tag}_${randomBytes(5).toString('hex')}${counter}`.slice(0, 30);
}

/** base64(HMAC-SHA256(key = UTF-8 secret, msg = value)), 44 chars. */
export function sign(secret, value) {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(value).digest('base64');
}
/** The session cookie value Better-Auth would send for `token`. */
export function signedCookieValue(secret, token) {
  return encodeURIComponent(`${token}.${sign(secret, token)}`);
}

const show = (v) => JSON.stringify(v, (k, x) => (x instanceof Date ? x.toISOString() : x));

/** Asserts a better-auth client result succeeded and returns its data. */
export function expectOk(res, what) {
  assert.equal(res.error, null,
    `${what}: expected success, got error ${show(res.error)}`);
  return res.data;
}

/** Asserts a better-auth client result failed with this status (and code). */
export function expectError(res, status, code, what) {
  assert.ok(res.error, `${what}: expected HTTP ${status} ${code ?? ''}, got success ${show(res.data)}`);
  assert.equal(res.error.status, status,
    `${what}: expected HTTP ${status}, got ${res.error.status} ${show(res.error)}`);
  if (code !== undefined) {
    const codes = Array.isArray(code) ? code : [code];
    assert.ok(codes.includes(res.error.code),
      `${what}: expected code ${codes.join(' or ')}, got ${show(res.error)}`);
  }
  assert.equal(typeof res.error.message, 'string', `${what}: error body must carry a string "message": ${show(res.error)}`);
  return res.error;
}

/**
 * A raw request with node:http: exactly the headers given (plus Host and
 * Content-Length / Connection), body as string or Buffer.
 * Returns {status, headers (lower-case; set-cookie is an array), text, json()}.
 */
export function request(baseUrl, method, path, { headers = {}, body, timeoutMs = 10_000 } = {}) {
  const u = new URL(path, baseUrl);
  const lower = Object.keys(headers).map((k) => k.toLowerCase());
  if (body !== undefined && !lower.includes('content-length') && !lower.includes('transfer-encoding')) {
    headers = { ...headers, 'content-length': String(Buffer.byteLength(body)) };
  }
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: u.hostname,
      port: u.port,
      method,
      path: u.pathname + u.search,
      headers,
      agent: false,
      timeout: timeoutMs,
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: res.statusCode,
          headers: res.headers,
          text,
          json() {
            try { return JSON.parse(text); } catch {
              throw new assert.AssertionError({
                message: `${method} ${path}: expected a JSON body, got HTTP ${res.statusCode} ${JSON.stringify(text.slice(0, 300))}`,
              });
            }
          },
        });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** POST JSON (or a given string/Buffer) with explicit headers. */
export function postJson(baseUrl, path, obj, headers = {}) {
  const body = typeof obj === 'string' || Buffer.isBuffer(obj) ? obj : JSON.stringify(obj);
  return request(baseUrl, 'POST', path, {
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
}

/**
 * Sends raw bytes on a fresh TCP connection and collects whatever comes back
 * until the peer closes (or timeoutMs). Write errors (the server may answer
 * and close before reading everything) are ignored.
 * Returns {raw, status (or null), headers, body}.
 */
export function rawHttp(port, bytes, { timeoutMs = 5000 } = {}) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    const chunks = [];
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      const raw = Buffer.concat(chunks).toString('latin1');
      const m = raw.match(/^HTTP\/1\.[01] (\d{3})/);
      const sep = raw.indexOf('\r\n\r\n');
      const head = sep >= 0 ? raw.slice(0, sep) : raw;
      const headers = {};
      for (const line of head.split('\r\n').slice(1)) {
        const i = line.indexOf(':');
        if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      let body = sep >= 0 ? raw.slice(sep + 4) : '';
      if (/chunked/i.test(headers['transfer-encoding'] || '')) body = dechunk(body);
      resolve({ raw, status: m ? Number(m[1]) : null, headers, body });
    };
    const timer = setTimeout(finish, timeoutMs);
    sock.on('data', (c) => chunks.push(c));
    sock.on('end', finish);
    sock.on('close', finish);
    sock.on('error', () => { /* EPIPE / ECONNRESET after an early answer */ });
    sock.on('connect', () => {
      const bufs = Array.isArray(bytes) ? bytes : [bytes];
      for (const b of bufs) sock.write(b, () => {});
    });
  });
}

function dechunk(s) {
  let out = '';
  let i = 0;
  for (;;) {
    const nl = s.indexOf('\r\n', i);
    if (nl < 0) break;
    const n = parseInt(s.slice(i, nl), 16);
    if (!n) break;
    out += s.slice(nl + 2, nl + 2 + n);
    i = nl + 2 + n + 2;
  }
  return out;
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Signs a fresh user up through `client` and returns {email, password, name, token, user}. */
export async function signUpUser(client, { email = uniqueEmail(), password = PASSWORD, name = 'Test User', ...extra } = {}) {
  const res = await client.auth.signUp.email({ email, password, name, ...extra });
  const data = expectOk(res, `sign-up ${email}`);
  return { email, password, name, token: data.token, user: data.user };
}
