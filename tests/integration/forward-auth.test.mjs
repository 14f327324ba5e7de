// Forward-auth end to end: real nginx (examples/nginx/gatehouse.conf, ports
// substituted) in front of the example FastAPI app (examples/fastapi/app.py),
// every request checked by a real gatehouse through auth_request. Plus the
// Traefik/Caddy (forward-auth), oauth2-proxy (/oauth2/auth) and Envoy
// (ext-authz) endpoints called directly, and proof that X-Forwarded-* from an
// untrusted peer is ignored.
//
//   node --test tests/integration/forward-auth.test.mjs        (repo root)
//   GATEHOUSE_BIN=... NGINX_BIN=... PYTHON_BIN=... GATEHOUSE_KEEP_TMP=1
//
// Needs: build/gatehouse, /usr/sbin/nginx with the auth_request module,
// /usr/bin/python3 with fastapi + uvicorn (Debian python3-fastapi,
// python3-uvicorn), tests/blackbox/node_modules (npm ci --prefix tests/blackbox).
// Without nginx or the Python packages the nginx suite is skipped (the
// direct endpoint tests still run).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import {
  REPO_ROOT, freePort, gatehouse, gatehouseEnv, makeTmpDir, randomSecret, spawnGatehouse, tail,
} from '../blackbox/lib/server.mjs';
import { makeClient } from '../blackbox/lib/client.mjs';
import { COOKIE, PASSWORD, request, sleep, uniqueEmail } from '../blackbox/lib/util.mjs';

const NGINX = process.env.NGINX_BIN || '/usr/sbin/nginx';
const PYTHON = process.env.PYTHON_BIN || '/usr/bin/python3';
const EXAMPLE_NGINX = path.join(REPO_ROOT, 'examples', 'nginx', 'gatehouse.conf');
const APP_DIR = path.join(REPO_ROOT, 'examples', 'fastapi');

const POLICIES = `
policies:                 # first match wins; no match = 403
  - {path: "/api/v1/*", access: public}
  - {path: "/mcp/*", access: authenticated}
  - {path: "/query", access: optional}
  - {path: "/internal/*", access: "role:admin"}
  - {path: "/batch/*", access: "permission:batch:run"}
`;

/*
 * Optional route (/query) with a credential that does not verify (banned
 * user's key, unknown key). The contract says 200 with no identity; change
 * this one constant if the server deliberately answers 401 invalid_token.
 */
const OPTIONAL_WITH_BAD_CREDENTIAL = 401; // deliberate: a bad credential is reported, not silently ignored (src/api/forward_auth.c)

// ----------------------------------------------------------------- helpers

const children = new Set(); // non-gatehouse children (uvicorn, nginx)
process.on('exit', () => {
  for (const c of children) { try { c.kill('SIGKILL'); } catch { /* gone */ } }
});

function httpStatus(url, headers = {}, timeoutMs = 1000) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** Spawns a process, collecting its output; returns {child, logs(), exited, exitInfo}. */
function spawnLogged(cmd, args, opts) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  children.add(child);
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  const h = { child, logs: () => out, exitInfo: null };
  h.exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => { h.exitInfo = { code, signal }; });
    child.on('close', () => { children.delete(child); resolve(h.exitInfo); });
    child.on('error', (err) => { out += `[spawn error] ${err.message}\n`; children.delete(child); h.exitInfo = { error: err }; resolve(h.exitInfo); });
  });
  return h;
}

/** Polls until check() resolves true, the process exits, or the deadline. */
async function waitReady(proc, check, what, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitInfo) break;
    try { if (await check()) return; } catch { /* not yet */ }
    await sleep(50);
  }
  throw new Error(`${what} did not become ready (exit ${JSON.stringify(proc.exitInfo)}):\n${tail(proc.logs(), 60)}`);
}

/** SIGTERM by PID, SIGKILL after timeoutMs; returns the exit info. */
async function stopProc(proc, sig = 'SIGTERM', timeoutMs = 5000) {
  if (!proc || proc.exitInfo) return proc?.exitInfo;
  try { process.kill(proc.child.pid, sig); } catch { /* gone */ }
  let timer;
  const r = await Promise.race([proc.exited, new Promise((res) => { timer = setTimeout(() => res('timeout'), timeoutMs); })]);
  clearTimeout(timer);
  if (r === 'timeout') {
    try { process.kill(proc.child.pid, 'SIGKILL'); } catch { /* gone */ }
    return proc.exited;
  }
  return r;
}

/**
 * gatehouse with a config file (policies + login_url) in its data dir.
 * trusted: GATEHOUSE_TRUSTED_PROXIES=127.0.0.1 (nginx and this test run on
 * loopback). Returns {url, port, pid, env, loginUrl, logs(), cli(), stop()}.
 */
async function startGatehouse({ trusted = true, tag = 'fa' } = {}) {
  const dataDir = makeTmpDir(tag);
  const secret = randomSecret();
  let lastErr;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const loginUrl = `${url}/sign-in`;
    const cfgFile = path.join(dataDir, 'gatehouse.yaml');
    fs.writeFileSync(cfgFile, `# written by tests/integration/forward-auth.test.mjs\n${POLICIES}login_url: "${loginUrl}"\n`);
    const env = gatehouseEnv({ port, dataDir, secret }, {
      GATEHOUSE_TRUSTED_PROXIES: trusted ? '127.0.0.1' : undefined,
    });
    const proc = spawnGatehouse(env, { args: ['serve', '--config', cfgFile] });
    const h = { logs: proc.logs, get exitInfo() { return proc.exitInfo; } };
    try {
      await waitReady(h, async () => (await httpStatus(`${url}/healthz`)) === 200, `gatehouse on ${url}`);
    } catch (err) {
      proc.kill('SIGKILL');
      await proc.exited;
      lastErr = err;
      if (/in use|EADDRINUSE/i.test(proc.logs())) continue;
      throw err;
    }
    return {
      url, port, dataDir, secret, env, loginUrl, cfgFile,
      pid: proc.child.pid,
      logs: proc.logs,
      cli(args, { input } = {}) { return gatehouse(args, env, { input }); },
      async stop() {
        if (proc.exitInfo) return proc.exitInfo;
        try { process.kill(proc.child.pid, 'SIGTERM'); } catch { /* gone */ }
        let timer;
        const r = await Promise.race([proc.exited, new Promise((res) => { timer = setTimeout(() => res('timeout'), 10_000); })]);
        clearTimeout(timer);
        if (r === 'timeout') {
          try { process.kill(proc.child.pid, 'SIGKILL'); } catch { /* gone */ }
          await proc.exited;
          throw new Error(`gatehouse ${url} ignored SIGTERM for 10 s`);
        }
        return r;
      },
    };
  }
  throw lastErr;
}

let ipCounter = 0;
/** A better-auth client with its own X-Forwarded-For (gatehouse trusts
 * 127.0.0.1, so each client is a different "IP" for the sign-in limits). */
function client(gh) {
  ipCounter += 1;
  return makeClient(gh.url, { headers: { 'x-forwarded-for': `198.18.${ipCounter >> 8}.${ipCounter & 255}` } });
}

/** POST JSON through a client's cookie jar; returns parsed JSON, asserting 200. */
async function call(c, route, body, what = route) {
  const res = await c.fetch(`${c.url}/api/auth${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  assert.equal(res.status, 200, `${what}: POST /api/auth${route} ${JSON.stringify(body)} -> ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** Signs a user up; returns {c, user, cookie, bearer, email, name}. */
async function signUp(gh, tag, name) {
  const c = client(gh);
  const email = uniqueEmail(tag);
  const res = await c.auth.signUp.email({ email, password: PASSWORD, name });
  assert.equal(res.error, null, `sign-up ${email}: ${JSON.stringify(res.error)}`);
  const raw = c.jar.get(COOKIE);
  assert.ok(raw, `sign-up ${email} set no ${COOKIE} cookie`);
  return {
    c, email, name,
    user: res.data.user,
    cookie: `${COOKIE}=${raw}`,
    bearer: decodeURIComponent(raw), // token.signature, as the bearer plugin sends it
  };
}

async function createKey(u, body, what) {
  const k = await call(u.c, '/api-key/create', body, what);
  assert.equal(typeof k?.key, 'string', `${what}: no plaintext key in ${JSON.stringify(k)}`);
  assert.equal(typeof k.id, 'string', `${what}: no key id in ${JSON.stringify(k)}`);
  return k;
}

const show = (r) => `HTTP ${r.status} ${JSON.stringify(r.headers)} ${r.text.slice(0, 400)}`;

// --------------------------------------------------------------- the world

const W = {}; // gatehouse, app, nginx, users, keys

function haveNginx() {
  if (!fs.existsSync(NGINX)) return `no nginx at ${NGINX}`;
  const v = spawnSync(NGINX, ['-V'], { encoding: 'utf8' });
  if (!/http_auth_request_module/.test(`${v.stdout}${v.stderr}`)) return `${NGINX} lacks the auth_request module`;
  const py = spawnSync(PYTHON, ['-c', 'import fastapi, uvicorn'], { encoding: 'utf8' });
  if (py.status !== 0) return `${PYTHON} cannot import fastapi/uvicorn: ${py.stderr.trim().split('\n').pop()}`;
  return null;
}
const NGINX_SKIP = haveNginx();

async function startApp() {
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const proc = spawnLogged(PYTHON, ['-m', 'uvicorn', '--app-dir', APP_DIR, 'app:app',
      '--host', '127.0.0.1', '--port', String(port), '--no-proxy-headers', '--no-access-log', '--log-level', 'warning'], {
      cwd: REPO_ROOT,
      env: { ...process.env, GATEHOUSE_TRUSTED_PROXIES: '127.0.0.1', PYTHONDONTWRITEBYTECODE: '1' },
    });
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitReady(proc, async () => (await httpStatus(`${url}/api/v1/health`)) === 200, `uvicorn on ${url}`, 15_000);
      return { ...proc, port, url, pid: proc.child.pid };
    } catch (err) {
      await stopProc(proc, 'SIGKILL');
      if (!/in use/i.test(proc.logs()) || attempt === 2) throw err;
    }
  }
  throw new Error('unreachable');
}

/** The example site config with the three ports put in; throws if a marked line is gone. */
function siteConfig({ ghPort, appPort, listenPort }) {
  let text = fs.readFileSync(EXAMPLE_NGINX, 'utf8');
  const subst = [
    [/server 127\.0\.0\.1:9091;/g, `server 127.0.0.1:${ghPort};`],
    [/server 127\.0\.0\.1:8000;/g, `server 127.0.0.1:${appPort};`],
    [/^(\s*)listen 80;/gm, `$1listen 127.0.0.1:${listenPort};`],
  ];
  for (const [re, to] of subst) {
    const n = (text.match(re) || []).length;
    if (n !== 1) throw new Error(`${EXAMPLE_NGINX}: expected exactly one line matching ${re}, found ${n}`);
    text = text.replace(re, to);
  }
  return text;
}

async function startNginx(ghPort, appPort) {
  const dir = makeTmpDir('nginx');
  for (const d of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi', 'logs']) fs.mkdirSync(path.join(dir, d));
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    fs.writeFileSync(path.join(dir, 'gatehouse.conf'), siteConfig({ ghPort, appPort, listenPort: port }));
    fs.writeFileSync(path.join(dir, 'nginx.conf'), [
      '# written by tests/integration/forward-auth.test.mjs',
      // as root, workers would switch to "nobody" and lose access to the tmp dir
      process.getuid?.() === 0 ? 'user root;' : '',
      'worker_processes 1;',
      `error_log ${dir}/logs/error.log info;`,
      'events { worker_connections 256; }',
      'http {',
      `  access_log ${dir}/logs/access.log;`,
      `  client_body_temp_path ${dir}/client_body;`,
      `  proxy_temp_path ${dir}/proxy;`,
      `  fastcgi_temp_path ${dir}/fastcgi;`,
      `  uwsgi_temp_path ${dir}/uwsgi;`,
      `  scgi_temp_path ${dir}/scgi;`,
      `  include ${dir}/gatehouse.conf;`,
      '}',
      '',
    ].join('\n'));
    const args = ['-p', dir, '-c', path.join(dir, 'nginx.conf')];
    const t = spawnSync(NGINX, [...args, '-t', '-g', `pid ${dir}/nginx.pid;`], { encoding: 'utf8' });
    assert.equal(t.status, 0, `nginx -t on the example config failed:\n${t.stdout}${t.stderr}`);
    const proc = spawnLogged(NGINX, [...args, '-g', `daemon off; pid ${dir}/nginx.pid;`], { cwd: dir });
    const url = `http://127.0.0.1:${port}`;
    const errLog = () => { try { return fs.readFileSync(path.join(dir, 'logs', 'error.log'), 'utf8'); } catch { return ''; } };
    const h = { ...proc, logs: () => `${proc.logs()}${errLog()}` };
    try {
      await waitReady(h, async () => (await httpStatus(`${url}/api/v1/health`)) === 200, `nginx on ${url}`);
      return { ...h, port, url, dir, pid: proc.child.pid };
    } catch (err) {
      await stopProc(proc, 'SIGKILL');
      if (!/in use/i.test(h.logs()) || attempt === 2) throw err;
    }
  }
  throw new Error('unreachable');
}

async function dump(label, fn) {
  try {
    return await fn();
  } catch (err) {
    const parts = [];
    if (W.gh) parts.push(`--- gatehouse ---\n${tail(W.gh.logs(), 40)}`);
    if (W.app) parts.push(`--- app ---\n${tail(W.app.logs(), 20)}`);
    if (W.nginx) parts.push(`--- nginx ---\n${tail(W.nginx.logs(), 20)}`);
    process.stderr.write(`\n[${label}] failed; recent output:\n${parts.join('\n')}\n`);
    throw err;
  }
}

before(async () => {
  W.gh = await startGatehouse({ tag: 'fa' });
  const gh = W.gh;

  // An admin, created with the CLI, then signed in.
  const adminEmail = uniqueEmail('root');
  const r = gh.cli(['user', 'create', '--email', adminEmail, '--name', 'Root Admin', '--role', 'admin', '--password-stdin'],
    { input: `${PASSWORD}\n` });
  assert.equal(r.status, 0, `gatehouse user create --role admin failed:\n${r.output}`);
  const ac = client(gh);
  const si = await ac.auth.signIn.email({ email: adminEmail, password: PASSWORD });
  assert.equal(si.error, null, `admin sign-in: ${JSON.stringify(si.error)}`);
  W.admin = { c: ac, email: adminEmail, name: 'Root Admin', user: si.data.user, cookie: `${COOKIE}=${ac.jar.get(COOKIE)}` };

  W.alice = await signUp(gh, 'alice', 'Alice Liddell');
  W.rita = await signUp(gh, 'rita', 'Rita Readonly');
  W.bob = await signUp(gh, 'bob', 'Bob Banned');

  W.aliceKey = await createKey(W.alice, { name: 'alice-main' }, 'alice key');
  W.aliceNarrow = await createKey(W.alice, { name: 'alice-text', permissions: { text: ['process'] } }, 'alice narrowed key');
  W.bobKey = await createKey(W.bob, { name: 'bob-key' }, 'bob key');

  await call(W.admin.c, '/admin/set-role', { userId: W.rita.user.id, role: 'readonly' }, 'set-role readonly');
  W.ritaKey = await createKey(W.rita, { name: 'rita-key' }, 'rita key');
  await call(W.admin.c, '/admin/ban-user', { userId: W.bob.user.id, banReason: 'integration test' }, 'ban bob');

  if (!NGINX_SKIP) {
    W.app = await startApp();
    W.nginx = await startNginx(gh.port, W.app.port);
  }
});

after(async () => {
  const errs = [];
  await stopProc(W.nginx, 'SIGTERM');
  await stopProc(W.app, 'SIGTERM');
  for (const g of [W.gh, W.gh2]) {
    if (!g) continue;
    try {
      const r = await g.stop();
      if (r?.code !== 0) errs.push(`gatehouse ${g.url} exited ${JSON.stringify(r)} after SIGTERM`);
    } catch (e) { errs.push(e.message); }
  }
  assert.deepEqual(errs, [], errs.join('\n'));
});

// ------------------------------------------------------ nginx + app matrix

/** Paths under test: [name, method, path, body]. */
const PATHS = [
  ['health', 'GET', '/api/v1/health'],
  ['mcp', 'GET', '/mcp/tools'],
  ['query', 'POST', '/query', { q: 'what is gatehouse' }],
  ['internal', 'GET', '/internal/stats'],
  ['batch', 'POST', '/batch/run', { job: 'reindex' }],
];

const USER_SCOPES = ['*:read', '*:write', 'batch:run', 'text:process'];

/*
 * Credentials, each with the expected status per path (health, mcp, query,
 * internal, batch), who the app must see on a non-public 200, and whether a
 * 401 must say error="invalid_token" (a credential was sent and is bad).
 */
const CREDS = [
  { name: 'no credential', headers: () => ({}), expect: [200, 401, 200, 401, 401], who: null },
  { name: 'session cookie', headers: () => ({ cookie: W.alice.cookie }), expect: [200, 200, 200, 403, 200], who: () => W.alice, key: null, scopes: USER_SCOPES },
  { name: 'session token as Bearer', headers: () => ({ authorization: `Bearer ${W.alice.bearer}` }), expect: [200, 200, 200, 403, 200], who: () => W.alice, key: null, scopes: USER_SCOPES },
  { name: 'API key via Bearer', headers: () => ({ authorization: `Bearer ${W.aliceKey.key}` }), expect: [200, 200, 200, 403, 200], who: () => W.alice, key: () => W.aliceKey.id, scopes: USER_SCOPES },
  { name: 'API key via X-API-Key', headers: () => ({ 'x-api-key': W.aliceKey.key }), expect: [200, 200, 200, 403, 200], who: () => W.alice, key: () => W.aliceKey.id, scopes: USER_SCOPES },
  { name: 'API key narrowed to text:process', headers: () => ({ 'x-api-key': W.aliceNarrow.key }), expect: [200, 200, 200, 403, 403], who: () => W.alice, key: () => W.aliceNarrow.id, scopes: ['text:process'] },
  { name: 'readonly user\'s key', headers: () => ({ authorization: `Bearer ${W.ritaKey.key}` }), expect: [200, 200, 200, 403, 403], who: () => W.rita, key: () => W.ritaKey.id, scopes: ['*:read'], role: 'readonly' },
  { name: 'admin session cookie', headers: () => ({ cookie: W.admin.cookie }), expect: [200, 200, 200, 200, 200], who: () => W.admin, key: null, role: 'admin' },
  { name: 'banned user\'s key', headers: () => ({ authorization: `Bearer ${W.bobKey.key}` }), expect: [200, 401, OPTIONAL_WITH_BAD_CREDENTIAL, 401, 401], who: null, invalid: true },
  { name: 'banned user\'s (revoked) session cookie', headers: () => ({ cookie: W.bob.cookie }), expect: [200, 401, 200, 401, 401], who: null },
  { name: 'unknown API key', headers: () => ({ 'x-api-key': `${W.aliceKey.key.slice(0, -6)}zzzzzz` }), expect: [200, 401, OPTIONAL_WITH_BAD_CREDENTIAL, 401, 401], who: null, invalid: true },
];

/** One request through nginx; returns util.request's result. */
function viaNginx(method, p, headers = {}, body) {
  const h = { accept: 'application/json', ...headers };
  if (body !== undefined) h['content-type'] = 'application/json';
  return request(W.nginx.url, method, p, { headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
}

/** Asserts what a 200 from the app says about the caller. */
function assertIdentity(r, cred, pathName, what) {
  const j = r.json();
  assert.equal(j.route, pathName, `${what}: answered by the app's ${pathName} handler: ${show(r)}`);
  if (pathName === 'health') {
    assert.equal(j.identity, null, `${what}: a public route carries no identity: ${show(r)}`);
    assert.deepEqual(j.received, {}, `${what}: no identity header may reach the app on a public route: ${show(r)}`);
    return;
  }
  const who = cred.who?.();
  const seesIdentity = who && (r.status === 200);
  if (!seesIdentity) {
    assert.equal(j.identity, null, `${what}: the app must see an anonymous caller: ${show(r)}`);
    assert.deepEqual(j.received, {}, `${what}: no identity header may reach the app: ${show(r)}`);
    if (pathName === 'query') assert.equal(j.mode, 'anonymous', `${what}: ${show(r)}`);
    return;
  }
  const id = j.identity;
  assert.ok(id, `${what}: the app saw no identity: ${show(r)}`);
  assert.equal(id.user_id, who.user.id, `${what}: Remote-User is the user id`);
  assert.equal(id.email, who.email, `${what}: Remote-Email`);
  assert.equal(id.name, who.name, `${what}: Remote-Name`);
  assert.equal(id.role, cred.role ?? 'user', `${what}: Remote-Groups`);
  assert.equal(id.key_id, cred.key ? cred.key() : null, `${what}: X-Auth-Key-Id`);
  if (cred.scopes) assert.deepEqual(id.scopes, [...cred.scopes].sort(), `${what}: X-Auth-Scopes`);
  assert.equal(j.received['x-auth-request-user'], who.user.id, `${what}: X-Auth-Request-User`);
  assert.equal(j.received['x-auth-request-email'], who.email, `${what}: X-Auth-Request-Email`);
  assert.equal(j.received['x-auth-request-groups'], cred.role ?? 'user', `${what}: X-Auth-Request-Groups`);
  if (pathName === 'query') assert.equal(j.mode, 'personalized', `${what}: ${show(r)}`);
}

/** Asserts a gateway denial (nginx's JSON from @gatehouse_401/403, not the app's). */
function assertDenied(r, status, cred, what) {
  assert.equal(r.status, status, `${what}: ${show(r)}`);
  const j = r.json();
  assert.equal(j.detail, undefined, `${what}: the denial must come from the gateway, not the app: ${show(r)}`);
  assert.equal(j.error, status === 401 ? 'unauthorized' : 'forbidden', `${what}: ${show(r)}`);
  if (status === 401) {
    const www = r.headers['www-authenticate'];
    assert.ok(www, `${what}: 401 without WWW-Authenticate: ${show(r)}`);
    assert.match(www, /^Bearer realm="gatehouse"/, `${what}: ${show(r)}`);
    if (cred.invalid) assert.match(www, /error="invalid_token"/, `${what}: a bad credential is invalid_token: ${www}`);
    else assert.doesNotMatch(www, /error=/, `${what}: no credential means no error attribute (RFC 6750 §3.1): ${www}`);
  }
}

describe('nginx auth_request in front of the FastAPI example', { skip: NGINX_SKIP || false }, () => {
  for (const cred of CREDS) {
    test(`${cred.name}: ${PATHS.map(([n], i) => `${n} ${cred.expect[i]}`).join(', ')}`, () => dump(cred.name, async () => {
      const problems = [];
      for (const [i, [name, method, p, body]] of PATHS.entries()) {
        const what = `${cred.name}: ${method} ${p}`;
        const r = await viaNginx(method, p, cred.headers(), body);
        try {
          if (cred.expect[i] === 200) {
            assert.equal(r.status, 200, `${what}: ${show(r)}`);
            assertIdentity(r, cred, name, what);
          } else {
            assertDenied(r, cred.expect[i], cred, what);
          }
        } catch (e) { problems.push(e.message); }
      }
      assert.deepEqual(problems, [], `\n${problems.join('\n\n')}`);
    }));
  }

  test('a key disabled or deleted during the test fails on the very next request', () => dump('revoke', async () => {
    const k1 = await createKey(W.alice, { name: 'to-disable' }, 'key to disable');
    const k2 = await createKey(W.alice, { name: 'to-delete' }, 'key to delete');
    for (const k of [k1, k2]) {
      const ok = await viaNginx('GET', '/mcp/tools', { authorization: `Bearer ${k.key}` });
      assert.equal(ok.status, 200, `fresh key works: ${show(ok)}`);
      assert.equal(ok.json().identity.key_id, k.id);
      // warm every cache path: a second use too
      assert.equal((await viaNginx('POST', '/batch/run', { 'x-api-key': k.key })).status, 200);
    }
    const upd = await call(W.alice.c, '/api-key/update', { keyId: k1.id, enabled: false }, 'disable key');
    assert.equal(upd.enabled, false, `update answered ${JSON.stringify(upd)}`);
    const r1 = await viaNginx('GET', '/mcp/tools', { authorization: `Bearer ${k1.key}` });
    assertDenied(r1, 401, { invalid: true }, 'disabled key, next request');
    const r1b = await viaNginx('POST', '/batch/run', { 'x-api-key': k1.key });
    assertDenied(r1b, 401, { invalid: true }, 'disabled key via X-API-Key');

    await call(W.alice.c, '/api-key/delete', { keyId: k2.id }, 'delete key');
    const r2 = await viaNginx('GET', '/mcp/tools', { 'x-api-key': k2.key });
    assertDenied(r2, 401, { invalid: true }, 'deleted key, next request');
    // alice's other key is unaffected
    assert.equal((await viaNginx('GET', '/mcp/tools', { 'x-api-key': W.aliceKey.key })).status, 200);
  }));

  test('a ban or a role change during the test applies on the very next request', () => dump('ban/role', async () => {
    const carol = await signUp(W.gh, 'carol', 'Carol Changes');
    const dave = await signUp(W.gh, 'dave', 'Dave Doomed');
    const ck = await createKey(carol, { name: 'carol' }, 'carol key');
    const dk = await createKey(dave, { name: 'dave' }, 'dave key');
    assert.equal((await viaNginx('POST', '/batch/run', { 'x-api-key': ck.key })).status, 200, 'carol (user) may run batches');
    assert.equal((await viaNginx('POST', '/batch/run', { cookie: carol.cookie })).status, 200);
    assert.equal((await viaNginx('GET', '/mcp/tools', { 'x-api-key': dk.key })).status, 200, 'dave works before the ban');
    assert.equal((await viaNginx('GET', '/mcp/tools', { cookie: dave.cookie })).status, 200);

    await call(W.admin.c, '/admin/set-role', { userId: carol.user.id, role: 'readonly' }, 'carol -> readonly');
    assertDenied(await viaNginx('POST', '/batch/run', { 'x-api-key': ck.key }), 403, {}, 'carol\'s key after set-role readonly');
    assertDenied(await viaNginx('POST', '/batch/run', { cookie: carol.cookie }), 403, {}, 'carol\'s session after set-role readonly');
    const still = await viaNginx('GET', '/mcp/tools', { 'x-api-key': ck.key });
    assert.equal(still.status, 200, show(still));
    assert.equal(still.json().identity.role, 'readonly', 'Remote-Groups follows the new role');

    await call(W.admin.c, '/admin/ban-user', { userId: dave.user.id }, 'ban dave');
    assertDenied(await viaNginx('GET', '/mcp/tools', { 'x-api-key': dk.key }), 401, { invalid: true }, 'dave\'s key right after the ban');
    assertDenied(await viaNginx('GET', '/mcp/tools', { cookie: dave.cookie }), 401, {}, 'dave\'s session right after the ban');
  }));

  test('client-sent identity headers never reach the app', () => dump('spoof', async () => {
    const forged = {
      'remote-user': 'admin', 'remote-email': 'admin@evil.test', 'remote-name': 'Admin',
      'remote-groups': 'admin', 'x-auth-request-user': 'admin', 'x-auth-request-email': 'admin@evil.test',
      'x-auth-request-groups': 'admin', 'x-auth-key-id': 'forged', 'x-auth-scopes': '*:*',
    };
    // public path: nothing at all arrives
    let r = await viaNginx('GET', '/api/v1/health', forged);
    assert.equal(r.status, 200, show(r));
    assert.deepEqual(r.json().received, {}, `forged headers reached the app on a public route: ${show(r)}`);
    assert.equal(r.json().identity, null);
    r = await viaNginx('GET', '/api/v1/anything', { ...forged, remote_user: 'admin' });
    assert.deepEqual(r.json().received, {}, show(r));
    // optional path, anonymous: still anonymous
    r = await viaNginx('POST', '/query', forged, { q: 'x' });
    assert.equal(r.status, 200, show(r));
    assert.equal(r.json().mode, 'anonymous', show(r));
    assert.deepEqual(r.json().received, {}, show(r));
    // authenticated caller: the real identity replaces the forged one
    r = await viaNginx('GET', '/mcp/tools', { ...forged, 'x-api-key': W.aliceKey.key });
    assert.equal(r.status, 200, show(r));
    const j = r.json();
    assert.equal(j.identity.user_id, W.alice.user.id);
    assert.equal(j.identity.role, 'user');
    assert.equal(j.identity.key_id, W.aliceKey.id);
    assert.equal(j.received['remote-user'], W.alice.user.id, 'exactly one Remote-User, the real one');
    // ... and a forged role does not open an admin route
    assertDenied(await viaNginx('GET', '/internal/stats', { ...forged, 'x-api-key': W.aliceKey.key }), 403, {}, 'forged Remote-Groups: admin');
    // a client-sent X-Original-URI does not change what is checked
    assertDenied(await viaNginx('GET', '/internal/stats', { 'x-original-uri': '/api/v1/health', 'x-forwarded-uri': '/api/v1/health' }), 401, {}, 'forged X-Original-URI');
  }));

  test('browsers without a session are redirected to the login URL; API clients get 401 JSON', () => dump('browser', async () => {
    const p = '/mcp/x?tab=tools&q=a%20b';
    const original = `http://127.0.0.1:${W.nginx.port}${p}`;
    const html = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
    const r = await viaNginx('GET', p, { accept: html });
    assert.equal(r.status, 302, `browser: ${show(r)}`);
    const loc = r.headers.location;
    assert.ok(loc?.startsWith(`${W.gh.loginUrl}?rd=`), `Location ${loc} must be ${W.gh.loginUrl}?rd=...`);
    assert.equal(new URL(loc).searchParams.get('rd'), original, `rd must be the original URL: ${loc}`);

    const api = await viaNginx('GET', p, { accept: 'application/json' });
    assertDenied(api, 401, {}, 'API client');
    assert.match(api.headers['content-type'] ?? '', /^application\/json/, show(api));
    assert.equal(api.headers.location, undefined, 'no redirect for API clients');

    const xhr = await viaNginx('GET', p, { accept: html, 'x-requested-with': 'XMLHttpRequest' });
    assertDenied(xhr, 401, {}, 'XHR from a browser page');

    // a browser with a bad cookie: also the login page, not an error
    const stale = await viaNginx('GET', p, { accept: html, cookie: `${COOKIE}=bogus.value` });
    assert.equal(stale.status, 302, `stale cookie: ${show(stale)}`);
    // a signed-in browser goes straight through
    const ok = await viaNginx('GET', p, { accept: html, cookie: W.alice.cookie });
    assert.equal(ok.status, 200, show(ok));
    // a browser that is signed in but not allowed: 403, no redirect loop
    const no = await viaNginx('GET', '/internal/x', { accept: html, cookie: W.alice.cookie });
    assertDenied(no, 403, {}, 'signed-in browser on an admin page');
  }));
});

// --------------------------------------------- endpoints called directly

/** A request to gatehouse itself (the proxy's view), from 127.0.0.1. */
function gh(g, method, p, headers = {}) {
  return request(g.url, method, p, { headers });
}

function traefik(uri, { method = 'GET', host = 'app.example.com', proto = 'https', ...headers } = {}) {
  return {
    'x-forwarded-method': method, 'x-forwarded-proto': proto, 'x-forwarded-host': host,
    'x-forwarded-uri': uri, 'x-forwarded-for': '203.0.113.7', ...headers,
  };
}

describe('forward-auth endpoints called directly', () => {
  test('/api/authz/auth-request (nginx): 200 with both header families, 401 with login URL, 403', () => dump('auth-request', async () => {
    const r = await gh(W.gh, 'GET', '/api/authz/auth-request', {
      'x-original-uri': '/batch/run?x=1', 'x-original-method': 'POST', 'x-forwarded-host': 'api.example.com',
      'x-forwarded-proto': 'https', 'x-api-key': W.aliceKey.key,
    });
    assert.equal(r.status, 200, show(r));
    const h = r.headers;
    assert.equal(h['remote-user'], W.alice.user.id);
    assert.equal(h['remote-email'], W.alice.email);
    assert.equal(h['remote-name'], W.alice.name);
    assert.equal(h['remote-groups'], 'user');
    assert.equal(h['x-auth-request-user'], W.alice.user.id);
    assert.equal(h['x-auth-request-email'], W.alice.email);
    assert.equal(h['x-auth-request-groups'], 'user');
    assert.equal(h['x-auth-key-id'], W.aliceKey.id);
    assert.deepEqual(h['x-auth-scopes']?.split(' ').sort(), [...USER_SCOPES].sort());

    const pub = await gh(W.gh, 'GET', '/api/authz/auth-request', { 'x-original-uri': '/api/v1/health', 'x-api-key': W.aliceKey.key });
    assert.equal(pub.status, 200, show(pub));
    assert.equal(pub.headers['remote-user'], undefined, 'public routes carry no identity');

    const opt = await gh(W.gh, 'GET', '/api/authz/auth-request', { 'x-original-uri': '/query' });
    assert.equal(opt.status, 200, show(opt));
    assert.equal(opt.headers['remote-user'], undefined);

    // browsers get no redirect here (nginx would turn it into a 500)
    const no = await gh(W.gh, 'GET', '/api/authz/auth-request', {
      'x-original-uri': '/mcp/a?b=c', 'x-original-method': 'GET', 'x-forwarded-host': 'api.example.com',
      'x-forwarded-proto': 'https', accept: 'text/html',
    });
    assert.equal(no.status, 401, show(no));
    assert.equal(no.headers['www-authenticate'], 'Bearer realm="gatehouse"', show(no));
    const login = no.headers['x-auth-login-url'];
    assert.ok(login?.startsWith(`${W.gh.loginUrl}?rd=`), show(no));
    assert.equal(new URL(login).searchParams.get('rd'), 'https://api.example.com/mcp/a?b=c', login);
    assert.equal(no.headers.location, undefined);

    const bad = await gh(W.gh, 'GET', '/api/authz/auth-request', { 'x-original-uri': '/mcp/a', authorization: 'Bearer gh_not_a_real_key_at_all_000000000000' });
    assert.equal(bad.status, 401, show(bad));
    assert.match(bad.headers['www-authenticate'] ?? '', /^Bearer realm="gatehouse", error="invalid_token"/, show(bad));

    const ro = await gh(W.gh, 'GET', '/api/authz/auth-request', { 'x-original-uri': '/batch/run', 'x-original-method': 'POST', 'x-api-key': W.ritaKey.key });
    assert.equal(ro.status, 403, show(ro));

    const none = await gh(W.gh, 'GET', '/api/authz/auth-request', { 'x-original-uri': '/not/in/any/policy', 'x-api-key': W.aliceKey.key });
    assert.equal(none.status, 403, `no policy matches -> 403: ${show(none)}`);
  }));

  test('credential precedence: API key, then Bearer session, then cookie', () => dump('precedence', async () => {
    const ask = (headers) => gh(W.gh, 'GET', '/api/authz/auth-request', { 'x-original-uri': '/mcp/tools', ...headers });
    const cases = [
      ['X-API-Key over cookie', { 'x-api-key': W.ritaKey.key, cookie: W.admin.cookie }, W.rita, W.ritaKey.id],
      ['Bearer API key over cookie', { authorization: `Bearer ${W.ritaKey.key}`, cookie: W.alice.cookie }, W.rita, W.ritaKey.id],
      ['Bearer session over cookie', { authorization: `Bearer ${W.alice.bearer}`, cookie: W.admin.cookie }, W.alice, undefined],
      ['X-API-Key over Bearer session', { 'x-api-key': W.ritaKey.key, authorization: `Bearer ${W.alice.bearer}` }, W.rita, W.ritaKey.id],
    ];
    for (const [what, headers, who, keyId] of cases) {
      const r = await ask(headers);
      assert.equal(r.status, 200, `${what}: ${show(r)}`);
      assert.equal(r.headers['remote-user'], who.user.id, `${what}: ${show(r)}`);
      assert.equal(r.headers['x-auth-key-id'], keyId, `${what}: ${show(r)}`);
    }
  }));

  test('/api/authz/forward-auth (Traefik/Caddy) with X-Forwarded-* from 127.0.0.1', () => dump('forward-auth', async () => {
    const ok = await gh(W.gh, 'GET', '/api/authz/forward-auth', traefik('/mcp/tools?x=1', { authorization: `Bearer ${W.aliceKey.key}` }));
    assert.equal(ok.status, 200, show(ok));
    assert.equal(ok.headers['remote-user'], W.alice.user.id);
    assert.equal(ok.headers['x-auth-key-id'], W.aliceKey.id);
    assert.equal(ok.headers['x-auth-request-email'], W.alice.email);

    const ses = await gh(W.gh, 'GET', '/api/authz/forward-auth', traefik('/batch/run', { method: 'POST', cookie: W.alice.cookie }));
    assert.equal(ses.status, 200, show(ses));
    assert.equal(ses.headers['x-auth-key-id'], undefined, 'no key id for a session');
    assert.equal(ses.headers['remote-groups'], 'user');

    const browser = await gh(W.gh, 'GET', '/api/authz/forward-auth', traefik('/mcp/tools?x=1', { accept: 'text/html,*/*' }));
    assert.equal(browser.status, 302, `browser: ${show(browser)}`);
    assert.equal(new URL(browser.headers.location).searchParams.get('rd'), 'https://app.example.com/mcp/tools?x=1', browser.headers.location);
    assert.ok(browser.headers.location.startsWith(`${W.gh.loginUrl}?rd=`), browser.headers.location);

    const post = await gh(W.gh, 'GET', '/api/authz/forward-auth', traefik('/mcp/tools', { method: 'POST', accept: 'text/html' }));
    assert.equal(post.status, 303, `a browser POST is sent to the login page with 303: ${show(post)}`);

    const machine = await gh(W.gh, 'GET', '/api/authz/forward-auth', traefik('/mcp/tools', { accept: 'application/json' }));
    assert.equal(machine.status, 401, show(machine));
    assert.equal(machine.headers['www-authenticate'], 'Bearer realm="gatehouse"');

    const forbidden = await gh(W.gh, 'GET', '/api/authz/forward-auth', traefik('/internal/stats', { 'x-api-key': W.ritaKey.key, accept: 'text/html' }));
    assert.equal(forbidden.status, 403, `signed in but not allowed: 403 even for browsers: ${show(forbidden)}`);

    const pub = await gh(W.gh, 'GET', '/api/authz/forward-auth', traefik('/api/v1/models', { 'x-api-key': W.aliceKey.key }));
    assert.equal(pub.status, 200, show(pub));
    assert.equal(pub.headers['remote-user'], undefined);
  }));

  test('/oauth2/auth (oauth2-proxy style): 202 / 401 / 403', () => dump('oauth2', async () => {
    const ok = await gh(W.gh, 'GET', '/oauth2/auth', traefik('/mcp/tools', { 'x-api-key': W.aliceKey.key }));
    assert.equal(ok.status, 202, show(ok));
    assert.equal(ok.headers['x-auth-request-user'], W.alice.user.id);
    assert.equal(ok.headers['x-auth-request-email'], W.alice.email);
    assert.equal(ok.headers['x-auth-request-groups'], 'user');
    const no = await gh(W.gh, 'GET', '/oauth2/auth', traefik('/mcp/tools'));
    assert.equal(no.status, 401, show(no));
    const ro = await gh(W.gh, 'GET', '/oauth2/auth', traefik('/internal/x', { 'x-api-key': W.ritaKey.key }));
    assert.equal(ro.status, 403, show(ro));
  }));

  test('/api/authz/ext-authz/<path> (Envoy): original method and path', () => dump('ext-authz', async () => {
    const ok = await gh(W.gh, 'GET', '/api/authz/ext-authz/mcp/tools?x=1', { authorization: `Bearer ${W.aliceKey.key}` });
    assert.equal(ok.status, 200, show(ok));
    assert.equal(ok.headers['remote-user'], W.alice.user.id);
    const batch = await gh(W.gh, 'POST', '/api/authz/ext-authz/batch/run', { 'x-api-key': W.ritaKey.key, 'content-length': '0' });
    assert.equal(batch.status, 403, show(batch));
    const no = await gh(W.gh, 'GET', '/api/authz/ext-authz/mcp/tools', { accept: 'application/json' });
    assert.equal(no.status, 401, show(no));
    const pub = await gh(W.gh, 'GET', '/api/authz/ext-authz/api/v1/health');
    assert.equal(pub.status, 200, show(pub));
  }));

  test('X-Forwarded-*/X-Original-* from an untrusted peer are ignored', () => dump('untrusted', async () => {
    // Same request to a gatehouse that trusts 127.0.0.1 (control) and to one
    // with no trusted proxies: there the policy is evaluated on the request's
    // own path (/api/authz/...), which no rule matches -> 403.
    W.gh2 = await startGatehouse({ trusted: false, tag: 'fa-untrusted' });
    const cases = [
      ['/api/authz/forward-auth', traefik('/api/v1/health')],
      ['/api/authz/auth-request', { 'x-original-uri': '/api/v1/health', 'x-original-method': 'GET' }],
      ['/oauth2/auth', { 'x-forwarded-uri': '/api/v1/health', 'x-original-uri': '/api/v1/health' }],
    ];
    for (const [p, headers] of cases) {
      const trusted = await gh(W.gh, 'GET', p, headers);
      assert.ok([200, 202].includes(trusted.status), `control, trusted peer, ${p}: ${show(trusted)}`);
      const untrusted = await gh(W.gh2, 'GET', p, headers);
      assert.equal(untrusted.status, 403, `untrusted peer, ${p}: the forwarded URI must be ignored: ${show(untrusted)}`);
    }
    // and a browser on the untrusted one is not redirected to a URL built
    // from forged headers
    const b = await gh(W.gh2, 'GET', '/api/authz/forward-auth', traefik('/mcp/x', { accept: 'text/html', host: 'evil.example' }));
    assert.equal(b.status, 403, show(b));
    assert.doesNotMatch(b.headers.location ?? '', /evil/);
  }));
});
