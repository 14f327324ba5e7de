// API keys: Better-Auth's api-key routes (create/get/list/update/delete) and
// gatehouse's HTTP verify. REFERENCE-better-auth.md §5 "api-key";
// src/api/apikeys.c, src/auth/apikey.h. Verification is answered from an
// in-memory cache; every change (update, delete) must take effect on the very
// next verify, and counters (flushed in batches) must survive a restart.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, useServer } from './lib/server.mjs';
import { COOKIE, expectError, expectOk, request } from './lib/util.mjs';
import { authzClient, call, createKey, newAdmin, newUser, verifyKey } from './lib/authz.mjs';

const gh = useServer();

const KEY_RE = /^gh_[A-Za-z0-9_-]{43,}$/;
const anon = () => authzClient(gh.srv.url);

describe('api keys', () => {
  test('create: the key is shown once (gh_ + >= 43 random chars); get and list never return it', async () => {
    const u = await newUser(gh.srv, 'keyshape');
    const row = await createKey(u, { name: 'primary', metadata: { team: 'blue' } });
    const createText = u.c.last().text;
    assert.match(row.key, KEY_RE, `key format: ${row.key}`);
    assert.equal(typeof row.id, 'string');
    assert.ok(row.id.length > 0);
    assert.equal(row.name, 'primary');
    assert.equal(row.enabled, true);
    assert.equal(row.userId, u.user.id, 'owned by the caller');
    assert.equal(row.referenceId, u.user.id, 'referenceId is the owner (Better-Auth 1.7)');
    assert.equal(row.requestCount, 0);
    assert.equal(row.remaining, null, 'unlimited unless an admin sets remaining');
    assert.equal(row.expiresAt, null, 'no expiry unless expiresIn is given');
    assert.deepEqual(row.metadata, { team: 'blue' });
    assert.equal(typeof row.start, 'string');
    assert.ok(row.key.startsWith(row.start), `start (${row.start}) is the beginning of the key`);
    assert.ok(row.start.length < 16, `start shows only a few characters: ${row.start}`);
    assert.ok(row.createdAt instanceof Date, 'createdAt is an ISO date');
    assert.ok(!createText.includes('keyHash') && !createText.includes('"hash"'), `no hash in the answer: ${createText}`);

    const second = await createKey(u, { name: 'secondary' });
    assert.notEqual(second.key, row.key, 'every key is fresh');
    assert.notEqual(second.key.slice(3, 20), row.key.slice(3, 20), 'random parts differ');

    const got = expectOk(await u.c.auth.apiKey.get({ query: { id: row.id } }), 'api-key/get');
    const getText = u.c.last().text;
    assert.equal(got.id, row.id);
    assert.equal(got.name, 'primary');
    assert.equal(got.start, row.start);
    assert.ok(!('key' in got), `get must not carry "key": ${getText}`);
    assert.ok(!getText.includes(row.key), 'get must never return the key');
    assert.ok(!getText.includes(row.key.slice(3)), 'get must never return the key\'s random part');

    const list = expectOk(await u.c.auth.apiKey.list(), 'api-key/list');
    const listText = u.c.last().text;
    assert.ok(!listText.includes(row.key) && !listText.includes(second.key), 'list must never return a key');
    for (const k of list.apiKeys) assert.ok(!('key' in k), `list entries carry no "key": ${JSON.stringify(k)}`);
  });

  test('list: {apiKeys, total, limit, offset}, only the caller\'s keys, limit/offset', async () => {
    const u = await newUser(gh.srv, 'keylist');
    const other = await newUser(gh.srv, 'keylist-other');
    const otherKey = await createKey(other, { name: 'not-yours' });
    const ids = [];
    for (const name of ['k1', 'k2', 'k3']) ids.push((await createKey(u, { name })).id);

    const all = expectOk(await u.c.auth.apiKey.list(), 'api-key/list');
    assert.deepEqual(Object.keys(all).sort(), ['apiKeys', 'limit', 'offset', 'total'], `list shape: ${u.c.last().text}`);
    assert.ok(Array.isArray(all.apiKeys));
    assert.equal(all.total, 3, `total counts the caller's keys: ${u.c.last().text}`);
    assert.equal(all.apiKeys.length, 3);
    assert.deepEqual(all.apiKeys.map((k) => k.id).sort(), [...ids].sort(), 'exactly the caller\'s keys');
    assert.ok(!all.apiKeys.some((k) => k.id === otherKey.id), 'another user\'s key is not listed');
    assert.equal(typeof all.limit, 'number');
    assert.equal(all.offset, 0);

    const page = expectOk(await u.c.auth.apiKey.list({ query: { limit: 2, offset: 1 } }), 'api-key/list page');
    assert.equal(page.total, 3, 'total is the full count, not the page size');
    assert.equal(page.limit, 2);
    assert.equal(page.offset, 1);
    assert.equal(page.apiKeys.length, 2, `limit=2 offset=1 of 3: ${u.c.last().text}`);
    const order = all.apiKeys.map((k) => k.id);
    assert.deepEqual(page.apiKeys.map((k) => k.id), order.slice(1, 3), 'the page is a slice of the full (stable) order');
    const first = expectOk(await u.c.auth.apiKey.list({ query: { limit: 2, offset: 0 } }), 'api-key/list first page');
    const rest = expectOk(await u.c.auth.apiKey.list({ query: { limit: 2, offset: 2 } }), 'api-key/list last page');
    assert.equal(rest.apiKeys.length, 1, 'offset=2 of 3 leaves one');
    assert.deepEqual([...first.apiKeys, ...rest.apiKeys].map((k) => k.id), order, 'two pages of 2 cover the three keys once');
    const past = expectOk(await u.c.auth.apiKey.list({ query: { limit: 2, offset: 5 } }), 'api-key/list past the end');
    assert.equal(past.apiKeys.length, 0);
    assert.equal(past.total, 3);

    const r = await call(anon(), 'GET', '/api/auth/api-key/list');
    assert.equal(r.status, 401, `signed out: ${r.status} ${r.text}`);
  });

  test('verify: valid and invalid shapes', async () => {
    const u = await newUser(gh.srv, 'verify');
    const row = await createKey(u, { name: 'v' });
    const ok = await verifyKey(anon(), row.key);
    assert.equal(ok.valid, true, `a fresh key verifies: ${JSON.stringify(ok)}`);
    assert.equal(ok.error, null);
    assert.equal(ok.key?.id, row.id);
    assert.equal(ok.key?.userId ?? ok.key?.referenceId, u.user.id);
    assert.ok(!JSON.stringify(ok).includes(row.key), 'verify does not echo the key');

    const bad = [
      ['unknown key', `gh_${'A'.repeat(43)}`],
      ['one character changed', row.key.slice(0, -1) + (row.key.endsWith('A') ? 'B' : 'A')],
      ['without prefix', row.key.slice(3)],
      ['short', 'gh_x'],
    ];
    for (const [what, key] of bad) {
      const v = await verifyKey(anon(), key);
      assert.equal(v.valid, false, `${what}: ${JSON.stringify(v)}`);
      assert.equal(v.key, null, `${what}: key is null`);
      assert.equal(v.error?.code, 'INVALID_API_KEY', `${what}: ${JSON.stringify(v)}`);
      assert.equal(typeof v.error?.message, 'string');
    }
    const missing = await call(anon(), 'POST', '/api/auth/api-key/verify', {});
    assert.equal(missing.status, 400, `verify without "key": ${missing.status} ${missing.text}`);
    // the real key still verifies after the failures (no lockout of a good key)
    assert.equal((await verifyKey(anon(), row.key)).valid, true);
  });

  test('update name and enabled:false -> KEY_DISABLED on the next verify; re-enable works', async () => {
    const u = await newUser(gh.srv, 'disable');
    const row = await createKey(u, { name: 'before' });
    assert.equal((await verifyKey(anon(), row.key)).valid, true, 'warm the verification cache');
    const upd = expectOk(await u.c.auth.apiKey.update({ keyId: row.id, name: 'after', enabled: false }), 'api-key/update');
    assert.equal(upd.id, row.id);
    assert.equal(upd.name, 'after');
    assert.equal(upd.enabled, false);
    assert.ok(!u.c.last().text.includes(row.key), 'update never returns the key');
    const v = await verifyKey(anon(), row.key);
    assert.equal(v.valid, false, `a disabled key must fail at once: ${JSON.stringify(v)}`);
    assert.equal(v.error?.code, 'KEY_DISABLED');
    const got = expectOk(await u.c.auth.apiKey.get({ query: { id: row.id } }), 'get after update');
    assert.equal(got.name, 'after');
    assert.equal(got.enabled, false);

    expectOk(await u.c.auth.apiKey.update({ keyId: row.id, enabled: true }), 're-enable');
    assert.equal((await verifyKey(anon(), row.key)).valid, true, 're-enabled key verifies at once');

    expectError(await u.c.auth.apiKey.update({ keyId: row.id }), 400, 'NO_VALUES_TO_UPDATE', 'update with nothing to change');
    expectError(await u.c.auth.apiKey.update({ keyId: row.id, name: 'x'.repeat(33) }), 400, 'INVALID_NAME_LENGTH', 'update name too long');
  });

  test('delete -> INVALID_API_KEY on the next verify; get/delete again -> 404 KEY_NOT_FOUND', async () => {
    const u = await newUser(gh.srv, 'delete');
    const row = await createKey(u, { name: 'doomed' });
    const keep = await createKey(u, { name: 'kept' });
    assert.equal((await verifyKey(anon(), row.key)).valid, true, 'warm the verification cache');
    const d = expectOk(await u.c.auth.apiKey.delete({ keyId: row.id }), 'api-key/delete');
    assert.deepEqual(d, { success: true });
    const v = await verifyKey(anon(), row.key);
    assert.equal(v.valid, false, `a deleted key must fail at once: ${JSON.stringify(v)}`);
    assert.equal(v.error?.code, 'INVALID_API_KEY');
    expectError(await u.c.auth.apiKey.get({ query: { id: row.id } }), 404, 'KEY_NOT_FOUND', 'get a deleted key');
    expectError(await u.c.auth.apiKey.delete({ keyId: row.id }), 404, 'KEY_NOT_FOUND', 'delete twice');
    assert.equal((await verifyKey(anon(), keep.key)).valid, true, 'the other key is untouched');
    const list = expectOk(await u.c.auth.apiKey.list(), 'list after delete');
    assert.deepEqual(list.apiKeys.map((k) => k.id), [keep.id]);
    assert.equal(list.total, 1);
  });

  test('validation: expiresIn bounds, name length, prefix', async () => {
    const u = await newUser(gh.srv, 'validate');
    expectError(await u.c.auth.apiKey.create({ name: 'short', expiresIn: 60 }), 400, 'EXPIRES_IN_IS_TOO_SMALL', 'expiresIn 60 s');
    expectError(await u.c.auth.apiKey.create({ name: 'long', expiresIn: 400 * 86400 }), 400, 'EXPIRES_IN_IS_TOO_LARGE', 'expiresIn 400 days');
    expectError(await u.c.auth.apiKey.create({ name: 'n'.repeat(33) }), 400, 'INVALID_NAME_LENGTH', 'name of 33 characters');
    expectError(await u.c.auth.apiKey.create({ name: '' }), 400, 'INVALID_NAME_LENGTH', 'empty name');
    expectError(await u.c.auth.apiKey.create({ name: 'p', prefix: 'bad prefix!' }), 400, 'INVALID_PREFIX_LENGTH', 'prefix with a space');

    const before = Date.now();
    const day = await createKey(u, { name: 'n'.repeat(32), expiresIn: 86400 });
    assert.ok(day.expiresAt instanceof Date, 'expiresAt set');
    const dt = day.expiresAt.getTime() - before;
    assert.ok(dt > 86_390_000 && dt < 86_460_000, `expiresAt is about one day ahead: ${day.expiresAt.toISOString()}`);
    assert.equal((await verifyKey(anon(), day.key)).valid, true);

    const custom = await createKey(u, { name: 'custom', prefix: 'myapp_' });
    assert.match(custom.key, /^myapp_[A-Za-z0-9_-]{43,}$/, `a custom prefix: ${custom.key}`);
    assert.equal(custom.prefix, 'myapp_');
    assert.equal((await verifyKey(anon(), custom.key)).valid, true, 'a key with a custom prefix verifies');

    const none = (await u.c.auth.apiKey.list()).data.total;
    assert.equal(none, 2, 'the refused creations stored nothing');
  });

  test('server-only properties: a non-admin gets 400 SERVER_ONLY_PROPERTY', async () => {
    const u = await newUser(gh.srv, 'serveronly');
    const other = await newUser(gh.srv, 'serveronly-other');
    for (const body of [
      { remaining: 5 },
      { userId: other.user.id },
      { refillAmount: 1, refillInterval: 1000 },
      { rateLimitMax: 5 },
      { rateLimitEnabled: true },
    ]) {
      expectError(await u.c.auth.apiKey.create({ name: 'so', ...body }), 400, 'SERVER_ONLY_PROPERTY', `create with ${JSON.stringify(body)}`);
    }
    const row = await createKey(u, { name: 'mine' });
    expectError(await u.c.auth.apiKey.update({ keyId: row.id, remaining: 1000 }), 400, 'SERVER_ONLY_PROPERTY', 'update remaining');
    const list = expectOk(await other.c.auth.apiKey.list(), 'list of the would-be owner');
    assert.equal(list.total, 0, 'no key was created for the other user');
    const got = expectOk(await u.c.auth.apiKey.get({ query: { id: row.id } }), 'get');
    assert.equal(got.remaining, null, 'remaining unchanged');
  });

  test('admin: key for another user with remaining 3 -> exactly 3 verifications, then USAGE_EXCEEDED', async () => {
    const admin = await newAdmin(gh.srv, 'keyadmin');
    const u = await newUser(gh.srv, 'limited');
    const row = await createKey(admin, { name: 'metered', userId: u.user.id, remaining: 3 });
    assert.equal(row.userId, u.user.id, 'owned by the named user');
    assert.equal(row.remaining, 3);
    const owned = expectOk(await u.c.auth.apiKey.list(), 'owner list');
    assert.deepEqual(owned.apiKeys.map((k) => k.id), [row.id], 'the owner sees the key');
    const adminList = expectOk(await admin.c.auth.apiKey.list(), 'admin list');
    assert.ok(!adminList.apiKeys.some((k) => k.id === row.id), 'the admin\'s own list does not show it');

    const seen = [];
    for (let i = 0; i < 3; i++) {
      const v = await verifyKey(anon(), row.key);
      assert.equal(v.valid, true, `use ${i + 1} of 3: ${JSON.stringify(v)}`);
      seen.push(v.key.remaining);
    }
    assert.deepEqual(seen, [2, 1, 0], 'remaining counts down');
    for (let i = 0; i < 2; i++) {
      const v = await verifyKey(anon(), row.key);
      assert.equal(v.valid, false, `use beyond the limit: ${JSON.stringify(v)}`);
      assert.equal(v.error?.code, 'USAGE_EXCEEDED');
    }
    const got = expectOk(await u.c.auth.apiKey.get({ query: { id: row.id } }), 'owner get');
    assert.equal(got.remaining, 0);
    assert.equal(got.requestCount, 3, 'only successful uses are counted');

    expectError(await admin.c.auth.apiKey.create({ name: 'ghost', userId: 'no-such-user-id' }), 404, 'USER_NOT_FOUND', 'key for a missing user');
    // an admin may refill
    const upd = expectOk(await admin.c.auth.apiKey.update({ keyId: row.id, remaining: 1 }), 'admin sets remaining');
    assert.equal(upd.remaining, 1);
    assert.equal((await verifyKey(anon(), row.key)).valid, true, 'one more use after the refill');
    assert.equal((await verifyKey(anon(), row.key)).error?.code, 'USAGE_EXCEEDED');
  });

  test('remaining 3 under 20 concurrent verifications: exactly 3 valid', async () => {
    const admin = await newAdmin(gh.srv, 'race');
    const u = await newUser(gh.srv, 'race-owner');
    const row = await createKey(admin, { name: 'raced', userId: u.user.id, remaining: 3 });
    const results = await Promise.all(Array.from({ length: 20 }, () =>
      request(gh.srv.url, 'POST', '/api/auth/api-key/verify', {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ key: row.key }),
      })));
    const bodies = results.map((r) => {
      assert.equal(r.status, 200, `verify answers 200: ${r.status} ${r.text}`);
      return r.json();
    });
    const valid = bodies.filter((b) => b.valid === true);
    const exceeded = bodies.filter((b) => b.valid === false && b.error?.code === 'USAGE_EXCEEDED');
    assert.equal(valid.length, 3, `exactly 3 of 20 concurrent verifications succeed: ${JSON.stringify(bodies.map((b) => b.valid ? `ok:${b.key.remaining}` : b.error?.code))}`);
    assert.equal(exceeded.length, 17, 'the other 17 are USAGE_EXCEEDED');
    assert.deepEqual(valid.map((b) => b.key.remaining).sort(), [0, 1, 2], 'each success saw a distinct remaining count');
    const got = expectOk(await u.c.auth.apiKey.get({ query: { id: row.id } }), 'get after the race');
    assert.equal(got.remaining, 0);
    assert.equal(got.requestCount, 3);
  });

  test('permissions only narrow the owner\'s role', async () => {
    const u = await newUser(gh.srv, 'perms');
    // role user grants *:read *:write text:process batch:run
    expectError(await u.c.auth.apiKey.create({ name: 'ban', permissions: { users: ['ban'] } }), 403, 'INSUFFICIENT_API_KEY_PERMISSIONS', 'a key granting users:ban');
    expectError(await u.c.auth.apiKey.create({ name: 'all', permissions: { '*': ['*'] } }), 403, 'INSUFFICIENT_API_KEY_PERMISSIONS', 'a key granting *:*');
    expectError(await u.c.auth.apiKey.create({ name: 'bad', permissions: { text: 'process' } }), 400, 'VALIDATION_ERROR', 'malformed permissions');

    const narrow = await createKey(u, { name: 'text-only', permissions: { text: ['process'] } });
    assert.deepEqual(narrow.permissions, { text: ['process'] }, 'permissions echoed as given');
    const okText = await verifyKey(anon(), narrow.key, { text: ['process'] });
    assert.equal(okText.valid, true, `text:process granted: ${JSON.stringify(okText)}`);
    const noBatch = await verifyKey(anon(), narrow.key, { batch: ['run'] });
    assert.equal(noBatch.valid, false, `batch:run is not in the key's list: ${JSON.stringify(noBatch)}`);
    assert.equal(noBatch.error?.code, 'INSUFFICIENT_API_KEY_PERMISSIONS');
    const mixed = await verifyKey(anon(), narrow.key, { text: ['process'], batch: ['run'] });
    assert.equal(mixed.valid, false, 'every requested permission must be granted');

    const broad = await createKey(u, { name: 'role-wide' });
    assert.equal((await verifyKey(anon(), broad.key, { batch: ['run'] })).valid, true, 'a key without a list has the role\'s permissions');
    assert.equal((await verifyKey(anon(), broad.key, { reports: ['read'] })).valid, true, '*:read covers reports:read');
    const ban = await verifyKey(anon(), broad.key, { users: ['ban'] });
    assert.equal(ban.valid, false, 'the role does not grant users:ban');
    assert.equal(ban.error?.code, 'INSUFFICIENT_API_KEY_PERMISSIONS');

    expectError(await u.c.auth.apiKey.update({ keyId: narrow.id, permissions: { users: ['ban'] } }), 403, 'INSUFFICIENT_API_KEY_PERMISSIONS', 'widening by update');
    expectOk(await u.c.auth.apiKey.update({ keyId: narrow.id, permissions: { batch: ['run'] } }), 'narrowing by update');
    assert.equal((await verifyKey(anon(), narrow.key, { batch: ['run'] })).valid, true, 'the updated list applies at once');
    assert.equal((await verifyKey(anon(), narrow.key, { text: ['process'] })).valid, false, 'the old grant is gone at once');
  });

  test('another user cannot get, update or delete my key (404 KEY_NOT_FOUND)', async () => {
    const me = await newUser(gh.srv, 'owner');
    const them = await newUser(gh.srv, 'intruder');
    const row = await createKey(me, { name: 'private' });
    expectError(await them.c.auth.apiKey.get({ query: { id: row.id } }), 404, 'KEY_NOT_FOUND', 'foreign get');
    expectError(await them.c.auth.apiKey.update({ keyId: row.id, name: 'stolen' }), 404, 'KEY_NOT_FOUND', 'foreign update');
    expectError(await them.c.auth.apiKey.update({ keyId: row.id, enabled: false }), 404, 'KEY_NOT_FOUND', 'foreign disable');
    expectError(await them.c.auth.apiKey.delete({ keyId: row.id }), 404, 'KEY_NOT_FOUND', 'foreign delete');
    expectError(await them.c.auth.apiKey.get({ query: { id: 'no-such-key' } }), 404, 'KEY_NOT_FOUND', 'unknown id');
    const got = expectOk(await me.c.auth.apiKey.get({ query: { id: row.id } }), 'owner get');
    assert.equal(got.name, 'private', 'unchanged');
    assert.equal(got.enabled, true, 'still enabled');
    assert.equal((await verifyKey(anon(), row.key)).valid, true, 'still valid');

    for (const [method, path, body] of [
      ['POST', '/api/auth/api-key/create', { name: 'x' }],
      ['GET', `/api/auth/api-key/get?id=${row.id}`],
      ['POST', '/api/auth/api-key/update', { keyId: row.id, name: 'x' }],
      ['POST', '/api/auth/api-key/delete', { keyId: row.id }],
    ]) {
      const r = await call(anon(), method, path, body);
      assert.equal(r.status, 401, `${method} ${path} signed out: ${r.status} ${r.text}`);
    }
  });

  test('requestCount and lastRequest appear in get and list after verifications', async () => {
    const u = await newUser(gh.srv, 'counters');
    const row = await createKey(u, { name: 'counted' });
    assert.equal(row.lastRequest, null, 'never used yet');
    const t0 = Date.now();
    for (let i = 0; i < 4; i++) assert.equal((await verifyKey(anon(), row.key)).valid, true);
    // counters are flushed once a second; get flushes first, but allow for a lag
    let got;
    const deadline = Date.now() + 1500;
    for (;;) {
      got = expectOk(await u.c.auth.apiKey.get({ query: { id: row.id } }), 'get');
      if (got.requestCount === 4 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(got.requestCount, 4, `requestCount after 4 verifications: ${u.c.last().text}`);
    assert.ok(got.lastRequest instanceof Date, `lastRequest set: ${u.c.last().text}`);
    assert.ok(got.lastRequest.getTime() >= t0 - 1000 && got.lastRequest.getTime() <= Date.now() + 1000,
      `lastRequest is recent: ${got.lastRequest.toISOString()}`);
    const list = expectOk(await u.c.auth.apiKey.list(), 'list');
    assert.equal(list.apiKeys.find((k) => k.id === row.id)?.requestCount, 4, 'list shows the same count');
    // a failed verification (insufficient permission) is not a use
    await verifyKey(anon(), row.key, { users: ['ban'] });
    const again = expectOk(await u.c.auth.apiKey.get({ query: { id: row.id } }), 'get again');
    assert.equal(again.requestCount, 4, 'a refused verification does not count');
  });

  // Better-Auth: per-key limit -> verify fails with 429 RATE_LIMITED
  // (REFERENCE-better-auth §5). gatehouse accepts the fields; apikey.h leaves
  // enforcement to the rate-limit module, which src/ratelimit does not have yet.
  test('per-key rate limit set by an admin is enforced (RATE_LIMITED)', async () => {
    const admin = await newAdmin(gh.srv, 'rl');
    const u = await newUser(gh.srv, 'rl-owner');
    const row = await createKey(admin, { name: 'rl', userId: u.user.id, rateLimitEnabled: true, rateLimitMax: 2, rateLimitTimeWindow: 60_000 });
    assert.equal(row.rateLimitEnabled, true);
    assert.equal(row.rateLimitMax, 2);
    assert.equal((await verifyKey(anon(), row.key)).valid, true);
    assert.equal((await verifyKey(anon(), row.key)).valid, true);
    const third = await verifyKey(anon(), row.key);
    assert.equal(third.valid, false, `the third use within the window: ${JSON.stringify(third)}`);
    assert.match(third.error?.code ?? '', /^RATE_LIMIT(ED|_EXCEEDED)$/);
  });

  test('deleting one\'s own account (/delete-user) kills its API keys at once', async () => {
    const u = await newUser(gh.srv, 'selfdelete');
    const row = await createKey(u, { name: 'orphan' });
    assert.equal((await verifyKey(anon(), row.key)).valid, true, 'valid before (cache warm)');
    expectOk(await u.c.auth.deleteUser({ password: u.password }), 'delete-user');
    const v = await verifyKey(anon(), row.key);
    assert.equal(v.valid, false, `the key of a deleted account must stop verifying at once: ${JSON.stringify(v)}`);
    assert.equal(v.error?.code, 'INVALID_API_KEY');
  });

  // Last: replaces gh.srv with a restarted server.
  test('a key and its requestCount survive a graceful restart (same data dir and secret)', async () => {
    const u = await newUser(gh.srv, 'restart');
    const row = await createKey(u, { name: 'durable' });
    for (let i = 0; i < 3; i++) assert.equal((await verifyKey(anon(), row.key)).valid, true);
    // stop at once: the counters may still be only in memory; shutdown must flush them
    const old = gh.srv;
    await old.stop();
    gh.srv = await startServer({}, { dataDir: old.dataDir, secret: old.secret });
    const c = authzClient(gh.srv.url);
    c.jar.set(COOKIE, u.c.jar.get(COOKIE));
    const got = expectOk(await c.auth.apiKey.get({ query: { id: row.id } }), 'get after restart (same session cookie)');
    assert.equal(got.requestCount, 3, `requestCount persisted across the restart: ${c.last().text}`);
    assert.ok(got.lastRequest instanceof Date, 'lastRequest persisted');
    const v = await verifyKey(authzClient(gh.srv.url), row.key);
    assert.equal(v.valid, true, `the key verifies after the restart: ${JSON.stringify(v)}`);
    const after = expectOk(await c.auth.apiKey.get({ query: { id: row.id } }), 'get');
    assert.equal(after.requestCount, 4);
  });
});
