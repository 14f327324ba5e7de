// Username plugin: sign-up with a username, sign-in/username, availability,
// validation (3..30 chars, ^[a-zA-Z0-9_.]+$, stored lower-case).
// REFERENCE-better-auth.md §2 (POST /sign-in/username) and Better-Auth 1.7.25
// plugins/username: invalid usernames are 422 on /sign-in/username and
// /is-username-available, 400 on /sign-up/email.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { useServer } from './lib/server.mjs';
import { makeClient } from './lib/client.mjs';
import { COOKIE, PASSWORD, expectError, expectOk, signUpUser, uniqueUsername } from './lib/util.mjs';

const gh = useServer();
const client = () => makeClient(gh.srv.url);

describe('username', () => {
  test('sign-up with a username, then sign-in/username (case-insensitive)', async () => {
    const name = uniqueUsername('Alice');
    const u = await signUpUser(client(), { username: name });
    assert.equal(u.user.username, name.toLowerCase(), `username is stored lower-case: ${JSON.stringify(u.user)}`);

    const c = client();
    const r = expectOk(await c.auth.signIn.username({ username: name.toUpperCase(), password: PASSWORD }), 'sign-in/username');
    assert.equal(c.last().status, 200);
    assert.equal(typeof r.token, 'string');
    assert.ok(r.token.length >= 32);
    assert.notEqual(r.token, u.token, 'a new session');
    assert.equal(r.user.id, u.user.id);
    assert.ok(c.jar.has(COOKIE), 'sign-in/username sets the session cookie');
    const s = expectOk(await c.auth.getSession(), 'get-session');
    assert.equal(s.user.id, u.user.id);
    assert.equal(s.session.token, r.token);
  });

  test('wrong password or unknown username → 401 INVALID_USERNAME_OR_PASSWORD', async () => {
    const name = uniqueUsername('bob');
    await signUpUser(client(), { username: name });
    const wrong = await client().auth.signIn.username({ username: name, password: 'Wrong-Password-123' });
    const e1 = expectError(wrong, 401, 'INVALID_USERNAME_OR_PASSWORD', 'wrong password');
    const unknown = await client().auth.signIn.username({ username: uniqueUsername('ghost'), password: 'Wrong-Password-123' });
    const e2 = expectError(unknown, 401, 'INVALID_USERNAME_OR_PASSWORD', 'unknown username');
    assert.equal(e1.message, e2.message, 'same message for both (no enumeration)');
  });

  test('is-username-available: true for a free name, false for a taken one (any case)', async () => {
    const name = uniqueUsername('carol');
    const free = expectOk(await client().auth.isUsernameAvailable({ username: name }), 'available (free)');
    assert.deepEqual(free, { available: true });
    await signUpUser(client(), { username: name });
    const taken = expectOk(await client().auth.isUsernameAvailable({ username: name }), 'available (taken)');
    assert.deepEqual(taken, { available: false });
    const takenUpper = expectOk(await client().auth.isUsernameAvailable({ username: name.toUpperCase() }), 'available (taken, upper case)');
    assert.deepEqual(takenUpper, { available: false });
  });

  test('a taken username cannot be signed up again → 400 USERNAME_IS_ALREADY_TAKEN', async () => {
    const name = uniqueUsername('dave');
    await signUpUser(client(), { username: name });
    const r = await client().auth.signUp.email({ email: `x-${name}@example.com`, password: PASSWORD, name: 'D', username: name.toUpperCase() });
    expectError(r, 400, 'USERNAME_IS_ALREADY_TAKEN', 'duplicate username on /sign-up/email (Better-Auth 1.7.25: 400 here)');
  });

  test('invalid usernames → USERNAME_TOO_SHORT / USERNAME_TOO_LONG / INVALID_USERNAME', async () => {
    const cases = [
      ['ab', 'USERNAME_TOO_SHORT'],
      ['a'.repeat(31), 'USERNAME_TOO_LONG'],
      ['a b!', 'INVALID_USERNAME'],
      ["x';--", 'INVALID_USERNAME'],
      ['ünïcode', 'INVALID_USERNAME'],
    ];
    for (const [name, code] of cases) {
      expectError(await client().auth.isUsernameAvailable({ username: name }), 422, code, `is-username-available ${JSON.stringify(name)}`);
      expectError(await client().auth.signIn.username({ username: name, password: PASSWORD }), 422, code, `sign-in/username ${JSON.stringify(name)}`);
      expectError(await client().auth.signUp.email({ email: `inv-${Date.now()}-${Math.random()}@example.com`.replace('0.', ''), password: PASSWORD, name: 'I', username: name }),
        400, code, `sign-up with username ${JSON.stringify(name)} (Better-Auth 1.7.25 answers 400 on /sign-up/email, 422 on /sign-in/username and /is-username-available)`);
    }
    // Boundaries are accepted.
    expectOk(await client().auth.isUsernameAvailable({ username: `a_.${uniqueUsername('b')}`.slice(0, 30) }), '30-char username with _ and .');
    expectOk(await client().auth.isUsernameAvailable({ username: 'abc' }), '3-char username');
  });
});
