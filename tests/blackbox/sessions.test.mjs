// Session management: list-sessions, revoke-session, revoke-sessions,
// revoke-other-sessions. REFERENCE-better-auth.md §2 (GET /list-sessions):
// gatehouse returns the caller's own token for the current session and a
// non-bearer handle (accepted by /revoke-session) for the others.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { useServer } from './lib/server.mjs';
import { makeClient } from './lib/client.mjs';
import { COOKIE, PASSWORD, expectOk, request, signUpUser, signedCookieValue } from './lib/util.mjs';

const gh = useServer();

/** One user signed in from `n` devices (distinct User-Agents). */
async function userWithDevices(n, tag) {
  const devices = [];
  const first = makeClient(gh.srv.url, { userAgent: `${tag}-device-0` });
  const u = await signUpUser(first);
  devices.push({ c: first, token: u.token, ua: `${tag}-device-0` });
  for (let i = 1; i < n; i++) {
    const ua = `${tag}-device-${i}`;
    const c = makeClient(gh.srv.url, { userAgent: ua });
    const r = expectOk(await c.auth.signIn.email({ email: u.email, password: PASSWORD }), `sign-in device ${i}`);
    devices.push({ c, token: r.token, ua });
  }
  return { u, devices };
}

async function sessionOf(c) {
  const r = await c.auth.getSession();
  assert.equal(r.error, null, `get-session failed: ${JSON.stringify(r.error)}`);
  return r.data;
}

describe('sessions', () => {
  test('list-sessions: the current session with its token, the others with non-bearer handles', async () => {
    const { u, devices } = await userWithDevices(3, 'list');
    const [a, b, c] = devices;
    const list = expectOk(await a.c.auth.listSessions(), 'list-sessions');
    const text = a.c.last().text;
    assert.ok(Array.isArray(list), `list-sessions returns an array: ${text}`);
    assert.equal(list.length, 3, `three sessions expected: ${text}`);
    for (const s of list) {
      assert.equal(s.userId, u.user.id, 'only the caller\'s sessions');
      assert.equal(typeof s.id, 'string');
      assert.equal(typeof s.token, 'string', `each entry has a token/handle: ${JSON.stringify(s)}`);
      assert.ok(s.token.length > 0);
      assert.ok(s.expiresAt instanceof Date, 'expiresAt is an ISO date');
      assert.ok(s.createdAt instanceof Date, 'createdAt is an ISO date');
    }
    const mine = list.filter((s) => s.token === a.token);
    assert.equal(mine.length, 1, 'the current session is listed with the caller\'s own token');
    assert.equal(mine[0].userAgent, a.ua, 'userAgent is recorded from the User-Agent header');

    assert.ok(!text.includes(b.token), 'another session\'s raw bearer token must not be exposed');
    assert.ok(!text.includes(c.token), 'another session\'s raw bearer token must not be exposed');
    const others = list.filter((s) => s.token !== a.token);
    assert.deepEqual(others.map((s) => s.userAgent).sort(), [b.ua, c.ua].sort(), 'the other devices are listed');

    // A handle must not work as a credential, neither as cookie nor as bearer.
    for (const s of others) {
      const asCookie = await request(gh.srv.url, 'GET', '/api/auth/get-session', {
        headers: { cookie: `${COOKIE}=${signedCookieValue(gh.srv.secret, s.token)}` },
      });
      assert.equal(asCookie.text.trim(), 'null', `a listed handle must not authenticate as a cookie: ${s.token}`);
      const asBearer = await request(gh.srv.url, 'GET', '/api/auth/get-session', {
        headers: { authorization: `Bearer ${s.token}` },
      });
      assert.equal(asBearer.text.trim(), 'null', `a listed handle must not authenticate as a bearer: ${s.token}`);
    }
  });

  test('revoke-session with a listed handle ends exactly that session', async () => {
    const { devices } = await userWithDevices(3, 'revoke');
    const [a, b, c] = devices;
    const list = expectOk(await a.c.auth.listSessions(), 'list-sessions');
    const bEntry = list.find((s) => s.userAgent === b.ua);
    assert.ok(bEntry, `device b is listed: ${a.c.last().text}`);
    const r = expectOk(await a.c.auth.revokeSession({ token: bEntry.token }), 'revoke-session');
    assert.deepEqual(r, { status: true });
    assert.equal(await sessionOf(b.c), null, 'the revoked session is dead');
    assert.ok((await sessionOf(a.c))?.session, 'the caller\'s session survives');
    assert.ok((await sessionOf(c.c))?.session, 'an unrelated session survives');
    const after = expectOk(await a.c.auth.listSessions(), 'list-sessions after revoke');
    assert.equal(after.length, 2, `two sessions left: ${a.c.last().text}`);
  });

  test('revoke-session with the caller\'s own token ends the current session', async () => {
    const { devices } = await userWithDevices(2, 'self');
    const [a, b] = devices;
    expectOk(await a.c.auth.revokeSession({ token: a.token }), 'revoke own session');
    assert.equal(await sessionOf(a.c), null);
    assert.ok((await sessionOf(b.c))?.session, 'the other device stays signed in');
  });

  test('revoke-session cannot touch another user\'s session', async () => {
    const victim = await userWithDevices(1, 'victim');
    const attacker = await userWithDevices(1, 'attacker');
    const atk = attacker.devices[0].c;
    const vic = victim.devices[0];
    const list = expectOk(await atk.auth.listSessions(), 'attacker list-sessions');
    assert.ok(list.every((s) => s.userId === attacker.u.user.id), 'list-sessions never shows another user\'s sessions');
    await atk.auth.revokeSession({ token: vic.token }); // status may be true or an error
    assert.ok((await sessionOf(vic.c))?.session, 'the victim\'s session must survive');
  });

  test('revoke-sessions ends every session, including the current one', async () => {
    const { devices } = await userWithDevices(3, 'all');
    const [a, b, c] = devices;
    const r = expectOk(await a.c.auth.revokeSessions(), 'revoke-sessions');
    assert.deepEqual(r, { status: true });
    for (const d of [a, b, c]) assert.equal(await sessionOf(d.c), null, `${d.ua} must be signed out`);
  });

  test('revoke-other-sessions keeps only the current one', async () => {
    const { devices } = await userWithDevices(3, 'others');
    const [a, b, c] = devices;
    const r = expectOk(await a.c.auth.revokeOtherSessions(), 'revoke-other-sessions');
    assert.deepEqual(r, { status: true });
    const mine = await sessionOf(a.c);
    assert.equal(mine?.session?.token, a.token, 'the current session survives');
    assert.equal(await sessionOf(b.c), null);
    assert.equal(await sessionOf(c.c), null);
    const list = expectOk(await a.c.auth.listSessions(), 'list-sessions');
    assert.equal(list.length, 1);
    assert.equal(list[0].token, a.token);
  });
});
