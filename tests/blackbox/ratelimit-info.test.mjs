// GET /api/auth/rate-limit (the caller's limits and what is left of them) and
// POST /api/auth/admin/unlock-user (an admin lifts a sign-in lockout).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { makeTmpDir, startServer } from './lib/server.mjs';
import { call, createKey, newAdmin, newUser } from './lib/authz.mjs';
import { PASSWORD, request } from './lib/util.mjs';

const CONFIG = `policies:
  - {path: "/mcp/*", access: authenticated}
rate_limits:
  rules:
    - {name: per-user, by: user, limit: 5, window: 60}
    - {name: readonly-hour, by: user, role: readonly, limit: 100, window: 3600}
    - {name: api-ip, by: ip, path: "/api/v1/*", limit: 50, window: 60}
`;

const W = {};

describe('rate-limit info and unlock', () => {
  before(async () => {
    const dir = makeTmpDir('rli');
    const file = path.join(dir, 'gatehouse.yaml');
    fs.writeFileSync(file, CONFIG);
    W.srv = await startServer({ GATEHOUSE_TRUSTED_PROXIES: '127.0.0.1', GATEHOUSE_LOCKOUT_MAX_ATTEMPTS: '2' },
      { args: ['serve', '--config', file] });
  });
  after(async () => { await W.srv?.stop(); });

  test('signed out: 401', async () => {
    const r = await request(W.srv.url, 'GET', '/api/auth/rate-limit');
    assert.equal(r.status, 401);
    assert.equal(r.json().code, 'UNAUTHORIZED');
  });

  test('a user sees the rules that apply to them, and remaining drops with use', async () => {
    const u = await newUser(W.srv, 'rli');
    const r1 = await call(u.c, 'GET', '/api/auth/rate-limit');
    assert.equal(r1.status, 200, r1.text);
    assert.equal(r1.json.store, 'memory');
    const names = r1.json.rules.map((x) => x.name).sort();
    assert.deepEqual(names, ['api-ip', 'per-user'], 'the readonly rule does not apply to a user');
    const perUser = r1.json.rules.find((x) => x.name === 'per-user');
    assert.equal(perUser.limit, 5);
    assert.equal(perUser.window, 60);
    assert.equal(perUser.remaining, 5);
    for (let i = 0; i < 2; i++) {
      const fa = await request(W.srv.url, 'GET', '/api/authz/auth-request',
        { headers: { 'x-original-uri': '/mcp/x', cookie: u.cookie } });
      assert.equal(fa.status, 200, fa.text);
      assert.match(fa.headers['ratelimit-policy'] ?? '', /"per-user";q=5;w=60/);
    }
    const r2 = await call(u.c, 'GET', '/api/auth/rate-limit');
    assert.equal(r2.json.rules.find((x) => x.name === 'per-user').remaining, 3, 'two uses counted, none by reading');
  });

  test('a key with its own limit shows it', async () => {
    const admin = await newAdmin(W.srv, 'rli-admin');
    const k = await createKey(admin, { name: 'limited', rateLimitEnabled: true, rateLimitMax: 7, rateLimitTimeWindow: 60000 });
    const r = await request(W.srv.url, 'GET', '/api/auth/rate-limit', { headers: { 'x-api-key': k.key } });
    assert.equal(r.status, 200, r.text);
    const own = r.json().rules.find((x) => x.name === 'api-key');
    assert.ok(own, JSON.stringify(r.json()));
    assert.equal(own.limit, 7);
    assert.equal(own.remaining, 7);
  });

  test('an admin lifts a lockout; a user may not', async () => {
    const admin = await newAdmin(W.srv, 'rli-unlock-admin');
    const u = await newUser(W.srv, 'rli-locked');
    const signIn = (password) => request(W.srv.url, 'POST', '/api/auth/sign-in/email', {
      headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: u.email, password }) });
    for (let i = 0; i < 2; i++) assert.equal((await signIn('wrong-password-123')).status, 401);
    assert.equal((await signIn(PASSWORD)).status, 401, 'locked: even the right password fails');
    const denied = await call(u.c, 'POST', '/api/auth/admin/unlock-user', { userId: u.user.id });
    assert.equal(denied.status, 403, denied.text);
    const ok = await call(admin.c, 'POST', '/api/auth/admin/unlock-user', { userId: u.user.id });
    assert.equal(ok.status, 200, ok.text);
    assert.equal((await signIn(PASSWORD)).status, 200, 'unlocked: the right password works again');
  });
});
