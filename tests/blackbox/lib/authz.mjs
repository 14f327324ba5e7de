/*
 * authz.mjs — helpers for the API-key, admin and forward-auth tests:
 * clients with the admin plugin, an admin made with the CLI, users with a
 * bearer value, and jar-aware JSON calls for routes the npm client has no
 * typed method for.
 *
 * better-auth 1.7 moved the api-key client plugin to @better-auth/api-key,
 * which tests/blackbox does not install; the client's dynamic path proxy
 * still builds those requests exactly as the plugin would
 * (auth.apiKey.create({...}) -> POST /api/auth/api-key/create, a call with a
 * query only -> GET), so the tests use it.
 */
import assert from 'node:assert/strict';
import { adminClient, usernameClient } from 'better-auth/client/plugins';
import { makeClient } from './client.mjs';
import { COOKIE, PASSWORD, expectOk, signUpUser, uniqueEmail } from './util.mjs';

/** makeClient with the username and admin client plugins. */
export function authzClient(url, opts = {}) {
  return makeClient(url, { plugins: [usernameClient(), adminClient()], ...opts });
}

/** What a signed-in user carries around. */
function identity(c, { email, password, name, user, token }) {
  const signed = c.jar.decoded(COOKIE); // "token.sig", the bearer value
  assert.ok(signed, `no session cookie after signing in ${email}`);
  return {
    c,
    email,
    password,
    name,
    user,
    token,
    bearer: signed,
    cookie: `${COOKIE}=${c.jar.get(COOKIE)}`,
  };
}

/** A new user (role user) signed up through the real client. */
export async function newUser(srv, tag = 'u', name = 'Test User') {
  const c = authzClient(srv.url);
  const u = await signUpUser(c, { email: uniqueEmail(tag), name });
  return identity(c, u);
}

/** Signs an existing user in with a fresh client. */
export async function signIn(srv, email, password = PASSWORD) {
  const c = authzClient(srv.url);
  const r = expectOk(await c.auth.signIn.email({ email, password }), `sign-in ${email}`);
  return identity(c, { email, password, name: r.user.name, user: r.user, token: r.token });
}

/** An admin created with `gatehouse user create --role admin`, signed in. */
export async function newAdmin(srv, tag = 'admin') {
  const email = uniqueEmail(tag);
  const r = srv.cli(['user', 'create', '--email', email, '--name', 'Admin User', '--role', 'admin', '--password-stdin'],
    { input: `${PASSWORD}\n` });
  assert.equal(r.status, 0, `gatehouse user create --role admin failed:\n${r.output}`);
  const a = await signIn(srv, email);
  assert.equal(a.user.role, 'admin', `the CLI-created user has role admin: ${JSON.stringify(a.user)}`);
  return a;
}

/**
 * A JSON request through the client's cookie jar (Origin header included):
 * call(c, 'POST', '/api/auth/x', body) or call(c, 'GET', '/api/auth/x?y=1').
 * Returns {status, headers, text, json}.
 */
export async function call(c, method, path, body, headers = {}) {
  const init = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
  }
  const res = await c.fetch(new URL(path, c.url), init);
  const text = await res.text();
  let json;
  try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, json };
}

/** Creates an API key through the client and returns the created row (with .key). */
export async function createKey(who, body = {}, what = 'api-key/create') {
  const r = await who.c.auth.apiKey.create({ name: 'test-key', ...body });
  return expectOk(r, `${what} (${JSON.stringify(body)})`);
}

/** POST /api-key/verify over HTTP (a gatehouse extension); returns the JSON body. */
export async function verifyKey(c, key, permissions) {
  const body = permissions === undefined ? { key } : { key, permissions };
  const r = await call(c, 'POST', '/api/auth/api-key/verify', body);
  assert.equal(r.status, 200, `api-key/verify answers 200 either way: ${r.status} ${r.text}`);
  return r.json;
}
