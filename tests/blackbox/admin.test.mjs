// Admin routes (Better-Auth's admin plugin under /api/auth/admin/), called
// through the real client with adminClient(). REFERENCE-better-auth.md §5
// "admin"; src/api/admin.c. A ban, removal, password reset or role change
// must take effect on the very next request (sessions and API keys are
// cached in memory).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { useServer } from './lib/server.mjs';
import { PASSWORD, expectError, expectOk, sleep, uniqueEmail } from './lib/util.mjs';
import { authzClient, call, createKey, newAdmin, newUser, signIn, verifyKey } from './lib/authz.mjs';

const gh = useServer();
let admin; // {c, user, ...} signed in as an admin; made by the first test that needs it
let adminMade;
/** Node 20 runs root-level before() hooks alongside suites: make the admin lazily. */
async function needAdmin() {
  adminMade ??= newAdmin(gh.srv, 'root');
  admin = await adminMade;
  return admin;
}

const anon = () => authzClient(gh.srv.url);

async function sessionOf(c) {
  const r = await c.auth.getSession();
  assert.equal(r.error, null, `get-session failed: ${JSON.stringify(r.error)}`);
  return r.data;
}

/** A second signed-in device of the same user. */
async function secondDevice(u) {
  return signIn(gh.srv, u.email, u.password);
}

describe('admin: access control', () => {
  test('signed out -> 401, role user -> 403 YOU_ARE_NOT_ALLOWED_* on every admin route; nothing changes', async () => {
    await needAdmin();
    const victim = await newUser(gh.srv, 'victim', 'Victim Name');
    const mallory = await newUser(gh.srv, 'mallory');
    const id = victim.user.id;
    const routes = [
      ['POST', '/admin/create-user', { email: uniqueEmail('evil'), password: PASSWORD, name: 'Evil', role: 'admin' }],
      ['GET', '/admin/list-users'],
      ['GET', `/admin/get-user?id=${id}`],
      ['POST', '/admin/update-user', { userId: id, data: { name: 'Pwned', role: 'admin' } }],
      ['POST', '/admin/set-role', { userId: mallory.user.id, role: 'admin' }],
      ['POST', '/admin/ban-user', { userId: id }],
      ['POST', '/admin/unban-user', { userId: id }],
      ['POST', '/admin/remove-user', { userId: id }],
      ['POST', '/admin/set-user-password', { userId: id, newPassword: 'Attacker-Chosen-Password-9' }],
      ['POST', '/admin/list-user-sessions', { userId: id }],
      ['POST', '/admin/revoke-user-session', { sessionToken: victim.token }],
      ['POST', '/admin/revoke-user-sessions', { userId: id }],
      ['POST', '/admin/has-permission', { userId: id, permissions: { user: ['list'] } }],
    ];
    for (const [method, path, body] of routes) {
      const out = await call(anon(), method, `/api/auth${path}`, body);
      assert.equal(out.status, 401, `${method} ${path} signed out: ${out.status} ${out.text}`);
      const r = await call(mallory.c, method, `/api/auth${path}`, body);
      assert.equal(r.status, 403, `${method} ${path} as role user: ${r.status} ${r.text}`);
      assert.match(r.json?.code ?? '', /^YOU_ARE_NOT_ALLOWED_TO_/, `${method} ${path}: Better-Auth's code: ${r.text}`);
      assert.equal(typeof r.json?.message, 'string');
    }
    // nothing happened
    assert.ok((await sessionOf(victim.c))?.session, 'the victim is still signed in');
    const v = (await sessionOf(victim.c)).user;
    assert.equal(v.name, 'Victim Name');
    assert.equal(v.banned, false);
    assert.equal((await sessionOf(mallory.c)).user.role, 'user', 'mallory did not become admin');
    expectOk(await anon().auth.signIn.email({ email: victim.email, password: PASSWORD }), 'the victim\'s password is unchanged');
  });

  test('has-permission: anyone for themselves; only an admin for another user', async () => {
    await needAdmin();
    const u = await newUser(gh.srv, 'perm');
    const self = expectOk(await u.c.auth.admin.hasPermission({ permissions: { text: ['process'] } }), 'self text:process');
    assert.deepEqual(self, { error: null, success: true });
    const selfNo = expectOk(await u.c.auth.admin.hasPermission({ permissions: { users: ['ban'] } }), 'self users:ban');
    assert.equal(selfNo.success, false, 'role user does not grant users:ban');
    const both = expectOk(await u.c.auth.admin.hasPermission({ permissions: { text: ['process'], users: ['ban'] } }), 'self both');
    assert.equal(both.success, false, 'all listed permissions are needed');

    const adminSelf = expectOk(await admin.c.auth.admin.hasPermission({ permissions: { users: ['ban'] } }), 'admin self');
    assert.equal(adminSelf.success, true, 'admin grants everything');
    const forUser = expectOk(await admin.c.auth.admin.hasPermission({ userId: u.user.id, permissions: { users: ['ban'] } }), 'admin asks for u');
    assert.equal(forUser.success, false, 'answered for the named user\'s role, not the admin\'s');
    const forUserYes = expectOk(await admin.c.auth.admin.hasPermission({ userId: u.user.id, permissions: { batch: ['run'] } }), 'admin asks for u (batch:run)');
    assert.equal(forUserYes.success, true);
    const forRole = expectOk(await admin.c.auth.admin.hasPermission({ role: 'readonly', permissions: { text: ['process'] } }), 'admin asks for a role');
    assert.equal(forRole.success, false, 'readonly grants only *:read');

    expectError(await u.c.auth.admin.hasPermission({ userId: admin.user.id, permissions: { users: ['ban'] } }), 403, undefined, 'non-admin asking about another user');
    const bad = await call(u.c, 'POST', '/api/auth/admin/has-permission', {});
    assert.equal(bad.status, 400, `no permissions given: ${bad.status} ${bad.text}`);
  });

  test('a normal user cannot set role through /update-user (400 FIELD_NOT_ALLOWED)', async () => {
    await needAdmin();
    const u = await newUser(gh.srv, 'selfpromote');
    expectError(await u.c.auth.updateUser({ role: 'admin' }), 400, 'FIELD_NOT_ALLOWED', '/update-user {role}');
    expectError(await u.c.auth.updateUser({ name: 'Sneaky', role: 'admin' }), 400, 'FIELD_NOT_ALLOWED', '/update-user {name, role}');
    expectError(await u.c.auth.updateUser({ banned: false }), 400, 'FIELD_NOT_ALLOWED', '/update-user {banned}');
    const s = await sessionOf(u.c);
    assert.equal(s.user.role, 'user', 'role unchanged');
    assert.notEqual(s.user.name, 'Sneaky', 'the refused update changed nothing');
    const r = await call(admin.c, 'GET', `/api/auth/admin/get-user?id=${u.user.id}`);
    assert.equal(r.json?.role, 'user');
  });
});

describe('admin: users', () => {
  test('create-user: the new user exists with the given role and can sign in', async () => {
    await needAdmin();
    const email = uniqueEmail('created');
    const r = expectOk(await admin.c.auth.admin.createUser({ email: email.toUpperCase(), password: PASSWORD, name: 'Created One', role: 'readonly' }), 'create-user');
    assert.ok(r.user, `answer is {user}: ${admin.c.last().text}`);
    assert.equal(r.user.email, email, 'e-mail stored lower-case');
    assert.equal(r.user.name, 'Created One');
    assert.equal(r.user.role, 'readonly');
    assert.equal(typeof r.user.id, 'string');
    assert.ok(!admin.c.last().text.includes(PASSWORD), 'the password is not echoed');
    const s = expectOk(await anon().auth.signIn.email({ email, password: PASSWORD }), 'sign-in as the created user');
    assert.equal(s.user.id, r.user.id);
    assert.equal(s.user.role, 'readonly');

    const plain = expectOk(await admin.c.auth.admin.createUser({ email: uniqueEmail('plain'), password: PASSWORD, name: 'Plain' }), 'create-user without role');
    assert.equal(plain.user.role, 'user', 'default role is user');
    const nopw = expectOk(await admin.c.auth.admin.createUser({ email: uniqueEmail('nopw'), name: 'No Password' }), 'create-user without password');
    assert.equal(nopw.user.name, 'No Password');

    expectError(await admin.c.auth.admin.createUser({ email, password: PASSWORD, name: 'Again' }), 400,
      ['USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL', 'USER_ALREADY_EXISTS'], 'duplicate e-mail');
    expectError(await admin.c.auth.admin.createUser({ email: uniqueEmail('badrole'), password: PASSWORD, name: 'X', role: 'emperor' }), 400,
      ['YOU_ARE_NOT_ALLOWED_TO_SET_NON_EXISTENT_VALUE', 'INVALID_ROLE'], 'unknown role');
    expectError(await admin.c.auth.admin.createUser({ email: 'not-an-email', password: PASSWORD, name: 'X' }), 400, 'INVALID_EMAIL', 'bad e-mail');
    expectError(await admin.c.auth.admin.createUser({ email: uniqueEmail('weak'), password: 'short', name: 'X' }), 400, 'PASSWORD_TOO_SHORT', 'weak password');
  });

  test('list-users: search, filter, sort, limit/offset with totals', async () => {
    await needAdmin();
    const tag = `lst${Date.now().toString(36)}`;
    const names = ['Delta', 'alpha', 'Charlie', 'Bravo', 'Echo'];
    const made = [];
    for (const n of names) {
      const r = expectOk(await admin.c.auth.admin.createUser({
        email: `${tag}-${n.toLowerCase()}@example.com`, password: PASSWORD, name: `${tag} ${n}`,
      }), `create ${n}`);
      made.push(r.user);
      await sleep(3); // distinct createdAt (ms) for the createdAt sort below
    }
    expectOk(await admin.c.auth.admin.setRole({ userId: made[2].id, role: 'readonly' }), 'one readonly');

    const list = async (query) => {
      const r = expectOk(await admin.c.auth.admin.listUsers({ query }), `list-users ${JSON.stringify(query)}`);
      assert.ok(Array.isArray(r.users), `{users: [...]}: ${admin.c.last().text}`);
      assert.equal(typeof r.total, 'number');
      return r;
    };

    const byEmail = await list({ searchValue: tag, searchField: 'email', searchOperator: 'contains' });
    assert.equal(byEmail.total, 5, `search e-mail contains the tag: ${admin.c.last().text}`);
    assert.equal(byEmail.users.length, 5);
    for (const u of byEmail.users) assert.ok(u.email.includes(tag));
    const defaultField = await list({ searchValue: tag });
    assert.equal(defaultField.total, 5, 'searchField defaults to email, operator to contains');
    const starts = await list({ searchValue: `${tag} b`, searchField: 'name', searchOperator: 'starts_with' });
    assert.deepEqual(starts.users.map((u) => u.name), [`${tag} Bravo`], 'name starts_with (case-insensitive)');
    const ends = await list({ searchValue: 'ho@example.com', searchField: 'email', searchOperator: 'ends_with' });
    assert.ok(ends.users.some((u) => u.id === made[4].id), 'e-mail ends_with finds echo');
    assert.ok(ends.users.every((u) => u.email.endsWith('ho@example.com')));
    const none = await list({ searchValue: `${tag}-zulu` });
    assert.equal(none.total, 0);
    assert.deepEqual(none.users, []);

    const filtered = await list({ searchValue: tag, filterField: 'role', filterValue: 'readonly' });
    assert.deepEqual(filtered.users.map((u) => u.id), [made[2].id], 'search and filter combine');
    assert.equal(filtered.total, 1);
    const admins = await list({ filterField: 'role', filterValue: 'admin' });
    assert.ok(admins.users.some((u) => u.id === admin.user.id), 'filter role=admin finds the admin');
    assert.ok(admins.users.every((u) => u.role === 'admin'));
    const notReadonly = await list({ searchValue: tag, filterField: 'role', filterValue: 'readonly', filterOperator: 'ne' });
    assert.equal(notReadonly.total, 4, 'filterOperator ne');

    const sortedNames = names.map((n) => `${tag} ${n}`).sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()));
    const asc = await list({ searchValue: tag, sortBy: 'email', sortDirection: 'asc' });
    assert.deepEqual(asc.users.map((u) => u.name), sortedNames, 'sortBy email asc (e-mails are lower-case names)');
    const desc = await list({ searchValue: tag, sortBy: 'email', sortDirection: 'desc' });
    assert.deepEqual(desc.users.map((u) => u.name), [...sortedNames].reverse(), 'sortBy email desc');
    const created = await list({ searchValue: tag, sortBy: 'createdAt', sortDirection: 'asc' });
    assert.deepEqual(created.users.map((u) => u.id), made.map((u) => u.id), 'sortBy createdAt asc = creation order');

    const page = await list({ searchValue: tag, sortBy: 'email', sortDirection: 'asc', limit: 2, offset: 1 });
    assert.equal(page.total, 5, 'total counts every match, not the page');
    assert.equal(page.limit, 2);
    assert.equal(page.offset, 1);
    assert.deepEqual(page.users.map((u) => u.name), sortedNames.slice(1, 3), 'limit 2 offset 1');
    const tail = await list({ searchValue: tag, sortBy: 'email', limit: 10, offset: 4 });
    assert.deepEqual(tail.users.map((u) => u.name), sortedNames.slice(4));

    for (const q of [{ sortDirection: 'sideways' }, { searchValue: tag, searchField: 'password' }, { searchValue: tag, searchOperator: 'regex' }, { sortBy: 'password' }]) {
      const r = await admin.c.auth.admin.listUsers({ query: q });
      assert.ok(r.error, `list-users ${JSON.stringify(q)} must be refused (or be harmless), got ${admin.c.last().text.slice(0, 200)}`);
      assert.equal(r.error.status, 400, `list-users ${JSON.stringify(q)}: ${JSON.stringify(r.error)}`);
    }
    assert.ok(!admin.c.last().text.includes('password'), 'no password material anywhere');
  });

  test('get-user and update-user (name, role)', async () => {
    await needAdmin();
    const u = await newUser(gh.srv, 'upd', 'Old Name');
    const got = expectOk(await admin.c.auth.admin.getUser({ query: { id: u.user.id } }), 'get-user');
    assert.equal(got.id, u.user.id, `get-user answers the user itself: ${admin.c.last().text}`);
    assert.equal(got.email, u.email);
    assert.equal(got.name, 'Old Name');
    assert.equal(got.role, 'user');
    assert.equal(got.banned, false);
    expectError(await admin.c.auth.admin.getUser({ query: { id: 'no-such-user' } }), 404, 'USER_NOT_FOUND', 'get-user unknown id');

    const upd = expectOk(await admin.c.auth.admin.updateUser({ userId: u.user.id, data: { name: 'New Name', role: 'readonly' } }), 'update-user');
    const updText = admin.c.last().text;
    const updUser = upd?.user ?? upd; // the shape is checked at the end
    assert.equal(updUser?.id, u.user.id);
    assert.equal(updUser?.name, 'New Name');
    assert.equal(updUser?.role, 'readonly');

    const s = await sessionOf(u.c);
    assert.equal(s?.user?.name, 'New Name', 'the user\'s own session shows the new name at once');
    assert.equal(s?.user?.role, 'readonly', 'and the new role');
    const again = expectOk(await admin.c.auth.admin.getUser({ query: { id: u.user.id } }), 'get-user after update');
    assert.equal(again.name, 'New Name');
    assert.equal(again.role, 'readonly');

    expectError(await admin.c.auth.admin.updateUser({ userId: u.user.id, data: { role: 'emperor' } }), 400,
      ['YOU_ARE_NOT_ALLOWED_TO_SET_NON_EXISTENT_VALUE', 'INVALID_ROLE'], 'update-user unknown role');
    expectError(await admin.c.auth.admin.updateUser({ userId: 'no-such-user', data: { name: 'X' } }), 404, 'USER_NOT_FOUND', 'update-user unknown id');
    expectError(await admin.c.auth.admin.updateUser({ userId: u.user.id, data: { email: admin.email } }), 400,
      ['USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL', 'USER_ALREADY_EXISTS'], 'update-user to a taken e-mail');

    // Better-Auth 1.7.25 answers update-user with the user itself
    // (plugins/admin/routes.mjs: `return ctx.json(parseUserOutput(..., updatedUser))`),
    // unlike create-user / set-role / ban-user, which answer {user}.
    assert.equal(upd?.id, u.user.id, `update-user must answer the bare user object (Better-Auth shape), got: ${updText}`);
  });

  test('set-role: takes effect on the user\'s session and API keys at once', async () => {
    await needAdmin();
    const u = await newUser(gh.srv, 'role');
    const key = await createKey(u, { name: 'k' });
    assert.equal((await verifyKey(anon(), key.key, { text: ['process'] })).valid, true, 'role user: text:process (cache warm)');
    const r = expectOk(await admin.c.auth.admin.setRole({ userId: u.user.id, role: 'readonly' }), 'set-role readonly');
    assert.equal(r.user?.role, 'readonly', `answer is {user}: ${admin.c.last().text}`);
    assert.equal((await sessionOf(u.c))?.user?.role, 'readonly', 'get-session shows the new role at once');
    const v = await verifyKey(anon(), key.key, { text: ['process'] });
    assert.equal(v.valid, false, `the key lost text:process with the role: ${JSON.stringify(v)}`);
    assert.equal(v.error?.code, 'INSUFFICIENT_API_KEY_PERMISSIONS');
    assert.equal((await verifyKey(anon(), key.key, { text: ['read'] })).valid, true, 'readonly still reads');

    const up = expectOk(await admin.c.auth.admin.setRole({ userId: u.user.id, role: 'admin' }), 'set-role admin');
    assert.equal(up.user.role, 'admin');
    const list = await u.c.auth.admin.listUsers({ query: { limit: 1 } });
    assert.equal(list.error, null, `the promoted user may use admin routes at once: ${JSON.stringify(list.error)}`);
    expectOk(await admin.c.auth.admin.setRole({ userId: u.user.id, role: 'user' }), 'set-role back to user');
    expectError(await u.c.auth.admin.listUsers({ query: { limit: 1 } }), 403, 'YOU_ARE_NOT_ALLOWED_TO_LIST_USERS', 'demoted at once');
    expectError(await admin.c.auth.admin.setRole({ userId: u.user.id, role: 'emperor' }), 400,
      ['YOU_ARE_NOT_ALLOWED_TO_SET_NON_EXISTENT_VALUE', 'INVALID_ROLE'], 'unknown role');
    expectError(await admin.c.auth.admin.setRole({ userId: 'no-such-user', role: 'user' }), 404, 'USER_NOT_FOUND', 'unknown user');
  });

  test('ban-user: sessions end at once, sign-in 403 BANNED_USER, API key USER_BANNED; unban restores', async () => {
    await needAdmin();
    const u = await newUser(gh.srv, 'ban');
    const other = await secondDevice(u);
    const key = await createKey(u, { name: 'k' });
    assert.equal((await verifyKey(anon(), key.key)).valid, true, 'key valid before (cache warm)');
    assert.ok((await sessionOf(u.c))?.session, 'signed in before (cache warm)');

    const r = expectOk(await admin.c.auth.admin.banUser({ userId: u.user.id, banReason: 'spam' }), 'ban-user');
    assert.equal(r.user?.banned, true, `answer is {user} with banned:true: ${admin.c.last().text}`);
    assert.equal(r.user.banReason, 'spam');

    assert.equal(await sessionOf(u.c), null, 'the banned user\'s session stops working at once');
    assert.equal(await sessionOf(other.c), null, 'every session of theirs');
    const bearer = await call(anon(), 'GET', '/api/auth/get-session', undefined, { authorization: `Bearer ${u.bearer}` });
    assert.equal(bearer.text.trim(), 'null', 'the bearer form too');
    expectError(await anon().auth.signIn.email({ email: u.email, password: PASSWORD }), 403, 'BANNED_USER', 'sign-in while banned');
    const v = await verifyKey(anon(), key.key);
    assert.equal(v.valid, false, `a banned user's key fails at once: ${JSON.stringify(v)}`);
    assert.equal(v.error?.code, 'USER_BANNED');
    const got = expectOk(await admin.c.auth.admin.getUser({ query: { id: u.user.id } }), 'get-user');
    assert.equal(got.banned, true);
    expectError(await admin.c.auth.admin.banUser({ userId: admin.user.id }), 400, 'YOU_CANNOT_BAN_YOURSELF', 'self-ban');

    const un = expectOk(await admin.c.auth.admin.unbanUser({ userId: u.user.id }), 'unban-user');
    assert.equal(un.user?.banned, false);
    assert.equal(un.user.banReason, null);
    const back = await signIn(gh.srv, u.email);
    assert.ok((await sessionOf(back.c))?.session, 'signed in again after unban');
    assert.equal((await verifyKey(anon(), key.key)).valid, true, 'the key works again after unban');
    assert.equal(await sessionOf(u.c), null, 'the sessions ended by the ban stay ended');
  });

  test('ban-user with banExpiresIn: sign-in works again once it expires', async () => {
    await needAdmin();
    const u = await newUser(gh.srv, 'tempban');
    const r = expectOk(await admin.c.auth.admin.banUser({ userId: u.user.id, banExpiresIn: 1 }), 'ban 1 s');
    assert.ok(r.user.banExpires instanceof Date, `banExpires set: ${admin.c.last().text}`);
    expectError(await anon().auth.signIn.email({ email: u.email, password: PASSWORD }), 403, 'BANNED_USER', 'within the ban');
    await sleep(1200);
    expectOk(await anon().auth.signIn.email({ email: u.email, password: PASSWORD }), 'after the ban expired');
    expectError(await admin.c.auth.admin.banUser({ userId: u.user.id, banExpiresIn: -5 }), 400, undefined, 'negative banExpiresIn');
  });

  test('remove-user: sign-in fails, sessions and keys are dead, get-user 404', async () => {
    await needAdmin();
    const u = await newUser(gh.srv, 'remove');
    const key = await createKey(u, { name: 'k' });
    assert.equal((await verifyKey(anon(), key.key)).valid, true);
    assert.ok((await sessionOf(u.c))?.session);
    const r = expectOk(await admin.c.auth.admin.removeUser({ userId: u.user.id }), 'remove-user');
    assert.deepEqual(r, { success: true });
    assert.equal(await sessionOf(u.c), null, 'the removed user\'s session ends at once');
    expectError(await anon().auth.signIn.email({ email: u.email, password: PASSWORD }), 401, 'INVALID_EMAIL_OR_PASSWORD', 'sign-in of a removed user');
    const v = await verifyKey(anon(), key.key);
    assert.equal(v.valid, false, `a removed user's key fails at once: ${JSON.stringify(v)}`);
    expectError(await admin.c.auth.admin.getUser({ query: { id: u.user.id } }), 404, 'USER_NOT_FOUND', 'get-user after removal');
    expectError(await admin.c.auth.admin.removeUser({ userId: u.user.id }), 404, 'USER_NOT_FOUND', 'remove twice');
    expectError(await admin.c.auth.admin.removeUser({ userId: admin.user.id }), 400, 'YOU_CANNOT_REMOVE_YOURSELF', 'self-removal');
    // the address is free again
    expectOk(await anon().auth.signUp.email({ email: u.email, password: PASSWORD, name: 'Reborn' }), 'sign-up with the freed address');
  });

  test('set-user-password: the new password works, the old one does not, old sessions are revoked', async () => {
    await needAdmin();
    const u = await newUser(gh.srv, 'setpw');
    const other = await secondDevice(u);
    assert.ok((await sessionOf(u.c))?.session, 'cache warm');
    const newPw = 'Admin-Assigned-Password-77';
    const r = expectOk(await admin.c.auth.admin.setUserPassword({ userId: u.user.id, newPassword: newPw }), 'set-user-password');
    assert.deepEqual(r, { status: true });
    assert.equal(await sessionOf(u.c), null, 'old session revoked at once');
    assert.equal(await sessionOf(other.c), null, 'every old session');
    expectError(await anon().auth.signIn.email({ email: u.email, password: PASSWORD }), 401, 'INVALID_EMAIL_OR_PASSWORD', 'old password');
    expectOk(await anon().auth.signIn.email({ email: u.email, password: newPw }), 'new password');
    expectError(await admin.c.auth.admin.setUserPassword({ userId: u.user.id, newPassword: 'short' }), 400, 'PASSWORD_TOO_SHORT', 'weak password');
    expectError(await admin.c.auth.admin.setUserPassword({ userId: 'no-such-user', newPassword: newPw }), 404, 'USER_NOT_FOUND', 'unknown user');
    // a user created without a password gets one
    const nopw = expectOk(await admin.c.auth.admin.createUser({ email: uniqueEmail('nopw2'), name: 'Passwordless' }), 'create without password');
    expectOk(await admin.c.auth.admin.setUserPassword({ userId: nopw.user.id, newPassword: newPw }), 'first password');
    expectOk(await anon().auth.signIn.email({ email: nopw.user.email, password: newPw }), 'sign-in with the first password');
  });
});

describe('admin: sessions', () => {
  test('list-user-sessions: every session of the user, without bearer tokens', async () => {
    await needAdmin();
    const u = await newUser(gh.srv, 'lus');
    const d2 = await secondDevice(u);
    const d3 = await secondDevice(u);
    const r = expectOk(await admin.c.auth.admin.listUserSessions({ userId: u.user.id }), 'list-user-sessions');
    const text = admin.c.last().text;
    assert.ok(Array.isArray(r.sessions), `{sessions: [...]}: ${text}`);
    assert.equal(r.sessions.length, 3, `three sessions: ${text}`);
    for (const s of r.sessions) {
      assert.equal(s.userId, u.user.id);
      assert.equal(typeof s.id, 'string');
      assert.ok(s.expiresAt instanceof Date);
    }
    for (const t of [u.token, d2.token, d3.token]) assert.ok(!text.includes(t), 'raw session tokens are not exposed to the admin');
    const empty = expectOk(await admin.c.auth.admin.listUserSessions({ userId: 'no-such-user' }), 'unknown user');
    assert.deepEqual(empty.sessions, []);
  });

  test('revoke-user-session ends exactly that session; revoke-user-sessions ends all', async () => {
    await needAdmin();
    const u = await newUser(gh.srv, 'rus');
    const d2 = await secondDevice(u);
    const d3 = await secondDevice(u);
    for (const d of [u, d2, d3]) assert.ok((await sessionOf(d.c))?.session, 'cache warm');
    const list = expectOk(await admin.c.auth.admin.listUserSessions({ userId: u.user.id }), 'list');
    assert.equal(list.sessions.length, 3);
    const target = list.sessions[1];
    const r = expectOk(await admin.c.auth.admin.revokeUserSession({ sessionToken: target.token }), 'revoke-user-session with the listed handle');
    assert.deepEqual(r, { success: true });
    const alive = [];
    for (const d of [u, d2, d3]) alive.push(Boolean((await sessionOf(d.c))?.session));
    assert.equal(alive.filter(Boolean).length, 2, `exactly one session ended: ${JSON.stringify(alive)}`);
    const left = expectOk(await admin.c.auth.admin.listUserSessions({ userId: u.user.id }), 'list after');
    assert.equal(left.sessions.length, 2);
    assert.ok(!left.sessions.some((s) => s.id === target.id), 'the revoked one is gone');

    // a raw session token works as sessionToken too (Better-Auth's form)
    const live = [u, d2, d3].filter((_, i) => alive[i]);
    expectOk(await admin.c.auth.admin.revokeUserSession({ sessionToken: live[0].token }), 'revoke-user-session with a raw token');
    assert.equal(await sessionOf(live[0].c), null, 'that session ended');
    assert.ok((await sessionOf(live[1].c))?.session, 'the other survives');

    const all = expectOk(await admin.c.auth.admin.revokeUserSessions({ userId: u.user.id }), 'revoke-user-sessions');
    assert.deepEqual(all, { success: true });
    for (const d of [u, d2, d3]) assert.equal(await sessionOf(d.c), null, 'all sessions ended at once');
    const none = expectOk(await admin.c.auth.admin.listUserSessions({ userId: u.user.id }), 'list after all');
    assert.equal(none.sessions.length, 0);
    assert.ok((await sessionOf(admin.c))?.session, 'the admin\'s own session is untouched');
    expectOk(await anon().auth.signIn.email({ email: u.email, password: PASSWORD }), 'the user can still sign in');
  });
});
