// Hostile and malformed input: content types, broken JSON, bad UTF-8,
// oversized bodies and headers, routing strictness, CSRF / origin checks,
// races. Every bad input gets a precise 4xx and changes nothing.
// REFERENCE-better-auth.md §1 (wire conventions) and §3 (CSRF/origin).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TRUSTED_ORIGIN, useServer } from './lib/server.mjs';
import { makeClient } from './lib/client.mjs';
import {
  COOKIE, PASSWORD, expectOk, postJson, rawHttp, request, signUpUser, uniqueEmail,
} from './lib/util.mjs';

const gh = useServer();
const client = () => makeClient(gh.srv.url);
const SIGN_IN = '/api/auth/sign-in/email';
const SIGN_UP = '/api/auth/sign-up/email';

function assertErr(r, status, codes, what) {
  assert.equal(r.status, status, `${what}: expected HTTP ${status}, got ${r.status} ${r.text.slice(0, 300)}`);
  const body = r.json();
  assert.equal(typeof body.message, 'string', `${what}: error body needs a string message: ${r.text}`);
  assert.equal(typeof body.code, 'string', `${what}: error body needs a string code: ${r.text}`);
  if (codes) {
    const list = Array.isArray(codes) ? codes : [codes];
    assert.ok(list.includes(body.code), `${what}: expected code ${list.join(' or ')}, got ${r.text}`);
  }
  assert.match(r.headers['content-type'] || '', /^application\/json/, `${what}: errors are JSON`);
  return body;
}

async function assertAlive(what) {
  const r = await request(gh.srv.url, 'GET', '/api/auth/ok');
  assert.equal(r.status, 200, `server must still answer after ${what}`);
}

async function cannotSignIn(email, what) {
  const r = await postJson(gh.srv.url, SIGN_IN, { email, password: PASSWORD });
  assert.equal(r.status, 401, `${what}: no user may have been created (sign-in gave ${r.status} ${r.text})`);
}

describe('hostile input', () => {
  test('Content-Type text/plain → 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    const r = await request(gh.srv.url, 'POST', SIGN_IN, {
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ email: 'a@example.com', password: PASSWORD }),
    });
    const b = assertErr(r, 415, 'UNSUPPORTED_MEDIA_TYPE', 'text/plain');
    assert.match(b.message, /text\/plain/, `the message names the type: ${b.message}`);
  });

  test('a body without Content-Type → 415', async () => {
    const r = await request(gh.srv.url, 'POST', SIGN_IN, {
      body: Buffer.from(JSON.stringify({ email: 'a@example.com', password: PASSWORD })),
    });
    assertErr(r, 415, 'UNSUPPORTED_MEDIA_TYPE', 'no content type');
  });

  test('malformed JSON → 400 {"message":"Invalid JSON in request body","code":"BAD_REQUEST"}', async () => {
    for (const body of ['{"email": "a@example.com", "password": ', '{email:1}', '{"a":1}}', "{'a':1}", '']) {
      const r = await postJson(gh.srv.url, SIGN_IN, body);
      if (body === '') {
        // An empty JSON body: Better-Auth treats it as {} → validation error.
        assert.equal(r.status, 400, `empty body: ${r.status} ${r.text}`);
        continue;
      }
      assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.status} ${r.text}`);
      assert.deepEqual(r.json(), { message: 'Invalid JSON in request body', code: 'BAD_REQUEST' }, `body ${JSON.stringify(body)}`);
    }
  });

  test('JSON that is not an object → 400', async () => {
    for (const body of ['[]', '[{"email":"a@example.com"}]', '"x"', '42', 'null', 'true']) {
      const r = await postJson(gh.srv.url, SIGN_IN, body);
      assertErr(r, 400, ['BODY_MUST_BE_AN_OBJECT', 'VALIDATION_ERROR', 'BAD_REQUEST'], `body ${body}`);
    }
  });

  test('deeply nested JSON → 400 and the server survives', async () => {
    const depth = 100_000 / 2;
    const body = `{"email":${'['.repeat(depth)}${']'.repeat(depth)},"password":"x"}`;
    const r = await postJson(gh.srv.url, SIGN_IN, body);
    assert.ok(r.status === 400 || r.status === 413, `deep nesting: expected 400 (or 413), got ${r.status} ${r.text.slice(0, 200)}`);
    await assertAlive('deep nesting');
  });

  test('missing email → 400 VALIDATION_ERROR naming [body.email]', async () => {
    const r = await postJson(gh.srv.url, SIGN_IN, { password: PASSWORD });
    const b = assertErr(r, 400, 'VALIDATION_ERROR', 'missing email');
    assert.ok(b.message.includes('[body.email]'), `message must contain "[body.email]": ${b.message}`);
    const r2 = await postJson(gh.srv.url, SIGN_IN, { email: 42, password: PASSWORD });
    const b2 = assertErr(r2, 400, 'VALIDATION_ERROR', 'email of the wrong type');
    assert.ok(b2.message.includes('[body.email]'), `message must contain "[body.email]": ${b2.message}`);
  });

  test('invalid e-mail addresses → 400 and nothing is created', async () => {
    const bad = ['not-an-email', 'a@', '@example.com', 'a b@example.com', 'x@example.com\u0000.evil', "x'; DROP TABLE user;--@a.com"];
    for (const email of bad) {
      // A NUL inside a JSON string may also be refused by the JSON parser (BAD_REQUEST).
      const codes = email.includes('\u0000') ? ['INVALID_EMAIL', 'VALIDATION_ERROR', 'BAD_REQUEST'] : ['INVALID_EMAIL', 'VALIDATION_ERROR'];
      const r = await postJson(gh.srv.url, SIGN_UP, { email, password: PASSWORD, name: 'Bad' });
      assertErr(r, 400, codes, `sign-up ${JSON.stringify(email)}`);
      const s = await postJson(gh.srv.url, SIGN_IN, { email, password: PASSWORD });
      assertErr(s, 400, codes, `sign-in ${JSON.stringify(email)}`);
    }
    await assertAlive('SQL metacharacters');
    await signUpUser(client()); // the user table is still there
  });

  test('SQL metacharacters in a valid field are stored literally', async () => {
    const name = "Robert'); DROP TABLE user;-- \"x\" \\ %_";
    const c = client();
    const u = await signUpUser(c, { name });
    assert.equal(u.user.name, name);
    const s = expectOk(await c.auth.getSession(), 'get-session');
    assert.equal(s.user.name, name, 'the name round-trips byte for byte');
    const other = await signUpUser(client());
    assert.ok(other.user.id, 'the database still works');
  });

  test('a 300-character name → 400, nothing created', async () => {
    const email = uniqueEmail('longname');
    const r = await postJson(gh.srv.url, SIGN_UP, { email, password: PASSWORD, name: 'n'.repeat(300) });
    assertErr(r, 400, null, '300-char name');
    await cannotSignIn(email, '300-char name');
  });

  test('invalid UTF-8 inside a JSON string → 400, nothing created', async () => {
    const email = uniqueEmail('utf8');
    const body = Buffer.concat([
      Buffer.from(`{"email":"${email}","password":"${PASSWORD}","name":"ab`),
      Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80]), // invalid, overlong-ish, surrogate
      Buffer.from('"}'),
    ]);
    const r = await postJson(gh.srv.url, SIGN_UP, body);
    assertErr(r, 400, null, 'invalid UTF-8');
    await cannotSignIn(email, 'invalid UTF-8');
  });

  test('a body over 64 KiB → 413 with a JSON error (Content-Length and chunked)', async () => {
    const big = JSON.stringify({ email: 'a@example.com', password: PASSWORD, name: 'x'.repeat(70 * 1024) });
    const head = `POST ${SIGN_UP} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nConnection: close\r\n`;
    const r = await rawHttp(gh.srv.port, [Buffer.from(`${head}Content-Length: ${Buffer.byteLength(big)}\r\n\r\n`), Buffer.from(big)]);
    assert.equal(r.status, 413, `Content-Length ${big.length}: expected 413, got ${r.status}: ${r.raw.slice(0, 300)}`);
    const body = JSON.parse(r.body);
    assert.equal(typeof body.message, 'string', `413 body: ${r.body}`);
    assert.equal(typeof body.code, 'string', `413 body: ${r.body}`);

    const chunks = [Buffer.from(`${head}Transfer-Encoding: chunked\r\n\r\n`)];
    for (let off = 0; off < big.length; off += 16 * 1024) {
      const part = big.slice(off, off + 16 * 1024);
      chunks.push(Buffer.from(`${Buffer.byteLength(part).toString(16)}\r\n${part}\r\n`));
    }
    chunks.push(Buffer.from('0\r\n\r\n'));
    const rc = await rawHttp(gh.srv.port, chunks);
    assert.equal(rc.status, 413, `chunked ${big.length} bytes: expected 413, got ${rc.status}: ${rc.raw.slice(0, 300)}`);
    await assertAlive('an oversized body');
  });

  test('headers over 8 KiB → 431 (or 400); 6 KiB of headers are fine', async () => {
    const one = await rawHttp(gh.srv.port, Buffer.from(
      `GET /api/auth/ok HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: ${'a'.repeat(9000)}\r\nConnection: close\r\n\r\n`));
    assert.ok(one.status === 431 || one.status === 400, `one 9000-byte header: expected 431/400, got ${one.status}: ${one.raw.slice(0, 200)}`);
    let many = 'GET /api/auth/ok HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n';
    for (let i = 0; i < 200; i++) many += `X-H${i}: ${'b'.repeat(40)}\r\n`;
    const r2 = await rawHttp(gh.srv.port, Buffer.from(`${many}\r\n`));
    assert.ok(r2.status === 431 || r2.status === 400, `200 headers (~9.4 KiB): expected 431/400, got ${r2.status}: ${r2.raw.slice(0, 200)}`);
    await assertAlive('oversized headers');
    const ok = await request(gh.srv.url, 'GET', '/api/auth/ok', { headers: { cookie: `junk=${'c'.repeat(6000)}` } });
    assert.equal(ok.status, 200, 'a 6 KB cookie header must still be accepted');
  });

  test('routing: unknown path, wrong method and trailing slash → 404 with an empty body', async () => {
    const cases = [
      ['GET', '/api/auth/does-not-exist'],
      ['POST', '/api/auth/does-not-exist'],
      ['GET', SIGN_IN],
      ['GET', '/api/auth/ok/'],
      ['POST', '/api/auth/sign-in/email/'],
      ['GET', '/api/auth'],
      ['GET', '/api/auth/'],
      ['GET', '/definitely/not/here'],
    ];
    for (const [method, path] of cases) {
      const r = await request(gh.srv.url, method, path, method === 'POST'
        ? { headers: { 'content-type': 'application/json' }, body: '{}' } : {})
        .catch((e) => assert.fail(`${method} ${path} (with a body for POST): no response, connection closed (${e.message}); expected 404`));
      assert.equal(r.status, 404, `${method} ${path}: ${r.status} ${r.text}`);
      assert.equal(r.text, '', `${method} ${path}: 404 has an empty body, got ${JSON.stringify(r.text)}`);
    }
  });

  test('form-urlencoded sign-up and sign-in work', async () => {
    const email = uniqueEmail('form');
    const form = (o) => new URLSearchParams(o).toString();
    const up = await request(gh.srv.url, 'POST', SIGN_UP, {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form({ email, password: PASSWORD, name: 'Form User' }),
    });
    assert.equal(up.status, 200, `form sign-up: ${up.status} ${up.text}`);
    const r = await request(gh.srv.url, 'POST', SIGN_IN, {
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' },
      body: form({ email, password: PASSWORD }),
    });
    assert.equal(r.status, 200, `form sign-in: ${r.status} ${r.text}`);
    assert.equal(r.json().user.email, email);
    assert.ok((r.headers['set-cookie'] || []).some((c) => c.startsWith(`${COOKIE}=`)), 'sets the session cookie');
  });

  test('CSRF: cookie-bearing POST without a trusted Origin → 403, nothing changes', async () => {
    const c = client();
    await signUpUser(c, { name: 'Before' });
    const cookie = `${COOKIE}=${c.jar.get(COOKIE)}`;
    const post = (path, body, extra) => request(gh.srv.url, 'POST', path, {
      headers: { 'content-type': 'application/json', cookie, ...extra },
      body: JSON.stringify(body),
    });
    assertErr(await post('/api/auth/sign-out', {}, {}), 403, 'MISSING_OR_NULL_ORIGIN', 'sign-out without Origin');
    assertErr(await post('/api/auth/sign-out', {}, { origin: 'null' }), 403, 'MISSING_OR_NULL_ORIGIN', 'sign-out with Origin: null');
    assertErr(await post('/api/auth/sign-out', {}, { origin: 'https://evil.example' }), 403, 'INVALID_ORIGIN', 'sign-out from evil origin');
    assertErr(await post('/api/auth/sign-out', {}, { origin: 'http://localhost:3000.evil.example' }), 403, 'INVALID_ORIGIN', 'origin prefix trick');
    assertErr(await post('/api/auth/update-user', { name: 'Hacked' }, { origin: 'https://evil.example' }), 403, 'INVALID_ORIGIN', 'update-user from evil origin');
    assertErr(await post('/api/auth/sign-out', {}, { referer: 'https://evil.example/page' }), 403, 'INVALID_ORIGIN', 'evil Referer, no Origin');

    const s = expectOk(await c.auth.getSession(), 'get-session');
    assert.ok(s?.session, 'the session must still be valid');
    assert.equal(s.user.name, 'Before', 'update-user must not have been applied');

    // Control: Referer is the fallback when Origin is absent.
    const ok = await post('/api/auth/sign-out', {}, { referer: `${TRUSTED_ORIGIN}/settings` });
    assert.equal(ok.status, 200, `sign-out with a trusted Referer: ${ok.status} ${ok.text}`);
  });

  test('sign-in: cross-site navigation blocked, untrusted Origin and callbackURL refused', async () => {
    const u = await signUpUser(client());
    const body = JSON.stringify({ email: u.email, password: PASSWORD });
    const nav = await request(gh.srv.url, 'POST', SIGN_IN, {
      headers: { 'content-type': 'application/json', 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' },
      body,
    });
    assertErr(nav, 403, 'CROSS_SITE_NAVIGATION_LOGIN_BLOCKED', 'cross-site navigation sign-in');
    const evil = await request(gh.srv.url, 'POST', SIGN_IN, {
      headers: { 'content-type': 'application/json', origin: 'https://evil.example' },
      body,
    });
    assertErr(evil, 403, 'INVALID_ORIGIN', 'sign-in with an untrusted Origin (Better-Auth formCsrfMiddleware)');

    const cb = await client().auth.signIn.email({ email: u.email, password: PASSWORD, callbackURL: 'https://evil.example/cb' });
    assert.equal(cb.error?.status, 403, `untrusted callbackURL: ${JSON.stringify(cb.error ?? cb.data)}`);
    assert.equal(cb.error.code, 'INVALID_CALLBACK_URL');
    const rel = expectOk(await client().auth.signIn.email({ email: u.email, password: PASSWORD, callbackURL: '/dashboard' }), 'relative callbackURL');
    assert.equal(rel.redirect, true);
    assert.equal(rel.url, '/dashboard');
  });

  test('/forget-password behaves like /request-password-reset for known and unknown e-mails', async () => {
    const u = await signUpUser(client());
    const bodies = [];
    for (const path of ['/api/auth/request-password-reset', '/api/auth/forget-password']) {
      for (const email of [u.email, uniqueEmail('nobody')]) {
        const r = await postJson(gh.srv.url, path, { email }, { origin: TRUSTED_ORIGIN });
        assert.equal(r.status, 200, `${path} ${email}: ${r.status} ${r.text}`);
        const b = r.json();
        assert.equal(b.status, true, `${path}: ${r.text}`);
        assert.equal(typeof b.message, 'string');
        bodies.push(r.text);
      }
    }
    for (const b of bodies) assert.equal(b, bodies[0], 'known and unknown e-mails get the same answer on both paths');
  });

  test('20 concurrent identical sign-ups: exactly one 200, the rest 422', async () => {
    const email = uniqueEmail('race');
    const body = { email, password: PASSWORD, name: 'Racer' };
    const rs = await Promise.all(Array.from({ length: 20 }, () => postJson(gh.srv.url, SIGN_UP, body)));
    const statuses = rs.map((r) => r.status);
    const okOnes = rs.filter((r) => r.status === 200);
    assert.equal(okOnes.length, 1, `exactly one sign-up may win: ${JSON.stringify(statuses)}`);
    for (const r of rs.filter((x) => x.status !== 200)) {
      assertErr(r, 422, 'USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL', 'losing racer');
    }
    const winner = okOnes[0].json().user.id;
    const si = await postJson(gh.srv.url, SIGN_IN, { email, password: PASSWORD }, { origin: TRUSTED_ORIGIN });
    assert.equal(si.status, 200, `the winner can sign in: ${si.text}`);
    assert.equal(si.json().user.id, winner, 'the account that signs in is the one that won');
  });
});
