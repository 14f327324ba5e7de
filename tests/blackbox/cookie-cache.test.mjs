// The optional signed cookie cache (cookie_cache.enabled; Better-Auth's
// session_data cookie, "compact" strategy): set with the session, answers
// get-session without a lookup until it expires, refused when tampered or
// when it belongs to another token, bypassed by disableCookieCache.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { useServer } from './lib/server.mjs';
import { makeClient, parseSetCookie } from './lib/client.mjs';
import { COOKIE, PASSWORD, request, signUpUser } from './lib/util.mjs';

const DATA = 'better-auth.session_data';
const gh = useServer({ GATEHOUSE_COOKIE_CACHE: 'true' });

function cookiesOf(res) {
  const out = {};
  for (const raw of res.headers.getSetCookie ? res.headers.getSetCookie() : []) {
    const c = parseSetCookie(raw);
    out[c.name] = c;
  }
  return out;
}

async function signUp() {
  const c = makeClient(gh.srv.url);
  await signUpUser(c);
  const set = c.last().headers.getSetCookie();
  const jar = {};
  for (const raw of set) {
    const p = parseSetCookie(raw);
    jar[p.name] = p;
  }
  return { c, jar };
}

describe('cookie cache', () => {
  test('sign-up sets a session_data cookie with max-age 300 whose payload is the session', async () => {
    const { jar } = await signUp();
    assert.ok(jar[DATA], `expected a ${DATA} cookie`);
    assert.equal(String(jar[DATA].attrs['max-age']), '300');
    const outer = JSON.parse(Buffer.from(jar[DATA].value, 'base64url').toString());
    assert.equal(outer.session.session.token.length, 32);
    assert.ok(outer.expiresAt > Date.now());
    assert.match(outer.signature, /^[A-Za-z0-9_-]{43}$/);
  });

  test('get-session answers from the cache cookie, even after the session is revoked elsewhere', async () => {
    const { jar } = await signUp();
    const cookie = `${COOKIE}=${jar[COOKIE].value}; ${DATA}=${jar[DATA].value}`;
    const first = await request(gh.srv.url, 'GET', '/api/auth/get-session', { headers: { cookie } });
    assert.equal(first.status, 200);
    const sess = first.json();
    assert.ok(sess && sess.user, 'signed in');
    // revoke the session server-side with the bearer form (no cache cookie)
    const bearer = decodeURIComponent(jar[COOKIE].value);
    const rv = await request(gh.srv.url, 'POST', '/api/auth/revoke-sessions', {
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' }, body: '{}' });
    assert.equal(rv.status, 200, rv.text);
    const cached = await request(gh.srv.url, 'GET', '/api/auth/get-session', { headers: { cookie } });
    assert.equal(cached.json()?.session?.id, sess.session.id, 'the cache answers until it expires');
    const bypass = await request(gh.srv.url, 'GET', '/api/auth/get-session?disableCookieCache=true', { headers: { cookie } });
    assert.equal(bypass.text, 'null', 'disableCookieCache reads the store: revoked');
  });

  test('a tampered cache cookie, or one belonging to another session, is ignored', async () => {
    const a = await signUp();
    const b = await signUp();
    const outer = JSON.parse(Buffer.from(a.jar[DATA].value, 'base64url').toString());
    outer.session.user.role = 'admin';
    const forged = Buffer.from(JSON.stringify(outer)).toString('base64url');
    const r1 = await request(gh.srv.url, 'GET', '/api/auth/get-session', {
      headers: { cookie: `${COOKIE}=${a.jar[COOKIE].value}; ${DATA}=${forged}` } });
    assert.equal(r1.json().user.role, 'user', 'a forged cache must not be believed');
    const r2 = await request(gh.srv.url, 'GET', '/api/auth/get-session', {
      headers: { cookie: `${COOKIE}=${b.jar[COOKIE].value}; ${DATA}=${a.jar[DATA].value}` } });
    assert.notEqual(r2.json().session.id, JSON.parse(Buffer.from(a.jar[DATA].value, 'base64url').toString()).session.session.id,
      "a's cache cookie must not answer for b's token");
  });
});
