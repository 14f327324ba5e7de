// Operations: health/readiness/metrics endpoints, graceful shutdown, the CLI
// (version, config check, user create), secret handling and the one-time
// bootstrap admin credential. SPEC.md "Operations"; src/core/config.h.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  freePort, gatehouse, gatehouseEnv, guard, makeTmpDir, randomSecret, spawnGatehouse, startServer, tail, useServer,
} from './lib/server.mjs';
import { makeClient } from './lib/client.mjs';
import { COOKIE, PASSWORD, expectOk, rawHttp, request, signUpUser, sleep, uniqueEmail } from './lib/util.mjs';

const gh = useServer();

/** How `config check` is given a file (assumed CLI shape — see report). */
const configCheckArgs = (file) => ['config', 'check', '--config', file];

/**
 * Finds the bootstrap-admin notice and extracts {email, password}. Accepts the
 * credential on the same line (text or JSON) or on the few lines after it:
 *   gatehouse: bootstrap admin created. Sign in once with
 *   gatehouse:   email:    admin@gatehouse.local
 *   gatehouse:   password: mKSB8FZ5AoPW9B8vbembXJNS
 */
function parseBootstrap(output) {
  const lines = output.split('\n');
  const i = lines.findIndex((l) => /bootstrap admin/i.test(l));
  if (i < 0) return null;
  const block = lines.slice(i, i + 5);
  let email;
  let password;
  for (const line of block) {
    const brace = line.indexOf('{');
    if (brace < 0) continue;
    try {
      const o = JSON.parse(line.slice(brace));
      for (const [k, v] of Object.entries(o)) {
        if (/email/i.test(k) && typeof v === 'string') email ??= v;
        if (/password/i.test(k) && typeof v === 'string') password ??= v;
      }
    } catch { /* not JSON */ }
  }
  const text = block.join('\n');
  email ??= text.match(/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+/)?.[0];
  password ??= text.match(/password["']?\s*[:=]\s*["']?([^\s"',}]+)/i)?.[1];
  return { line: block.join(' | '), email, password };
}

async function waitExit(proc, ms) {
  let timer;
  const r = await Promise.race([proc.exited, new Promise((res) => { timer = setTimeout(() => res('timeout'), ms); })]);
  clearTimeout(timer);
  return r;
}

describe('operations', () => {
  test('/healthz 200 and /readyz 200 JSON', async () => {
    const h = await request(gh.srv.url, 'GET', '/healthz');
    assert.equal(h.status, 200);
    const r = await request(gh.srv.url, 'GET', '/readyz');
    assert.equal(r.status, 200, `/readyz: ${r.status} ${r.text}`);
    assert.match(r.headers['content-type'] || '', /^application\/json/, '/readyz answers JSON');
    assert.equal(typeof r.json(), 'object');
  });

  test('/metrics is Prometheus text with the gatehouse series', async () => {
    const c = makeClient(gh.srv.url);
    const u = await signUpUser(c);
    expectOk(await makeClient(gh.srv.url).auth.signIn.email({ email: u.email, password: PASSWORD }), 'sign-in');
    await makeClient(gh.srv.url).auth.signIn.email({ email: u.email, password: 'Wrong-Password-55' });
    const m = await request(gh.srv.url, 'GET', '/metrics');
    assert.equal(m.status, 200);
    assert.match(m.headers['content-type'] || '', /^text\/plain/, `Prometheus text format: ${m.headers['content-type']}`);
    for (const name of ['gatehouse_http_requests_total', 'gatehouse_http_request_duration_seconds_bucket', 'gatehouse_signin_total']) {
      assert.ok(m.text.includes(name), `/metrics must contain ${name}`);
    }
    assert.match(m.text, /^# TYPE gatehouse_http_requests_total counter$/m, 'a "# TYPE gatehouse_http_requests_total counter" line');
    assert.match(m.text, /^# TYPE gatehouse_http_request_duration_seconds histogram$/m, 'a "# TYPE gatehouse_http_request_duration_seconds histogram" line');
    assert.match(m.text, /^gatehouse_http_request_duration_seconds_bucket\{[^}]*le="\+Inf"[^}]*\} \d+/m, 'a histogram has an le="+Inf" bucket');
    const sample = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? (-?[0-9.]+([eE][+-]?\d+)?|NaN|[+-]Inf)( -?\d+)?$/;
    for (const line of m.text.split('\n')) {
      if (line === '' || line.startsWith('#')) continue;
      assert.match(line, sample, `not a valid Prometheus sample line: ${JSON.stringify(line)}`);
    }
  });

  test('SIGTERM drains an in-flight request and exits 0', async () => {
    const srv = await startServer();
    try {
      await guard(srv, async () => {
        const body = JSON.stringify({ email: uniqueEmail('drain'), password: PASSWORD, name: 'Drain' });
        const pending = rawHttp(srv.port, Buffer.from(
          `POST /api/auth/sign-up/email HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`), { timeoutMs: 10_000 });
        await sleep(30);
        const stopping = srv.stop();
        const r = await pending;
        assert.equal(r.status, 200, `the request in flight at SIGTERM must complete: ${r.raw.slice(0, 300)}`);
        const exit = await stopping;
        assert.deepEqual(exit, { code: 0, signal: null });
      });
    } finally {
      await srv.stop().catch(() => {});
    }
  });

  test('CLI: version prints a version', () => {
    const r = gatehouse(['version']);
    assert.equal(r.status, 0, `gatehouse version: ${r.output}`);
    assert.match(r.stdout, /\d+\.\d+\.\d+/, `a semantic version: ${r.stdout}`);
  });

  test('CLI: config check names unknown keys and bad values, accepts a valid file', () => {
    const dir = makeTmpDir('cfg');
    const env = gatehouseEnv({ dataDir: dir, secret: randomSecret() });
    const write = (name, text) => { const f = path.join(dir, name); fs.writeFileSync(f, text); return f; };

    const good = write('good.yaml', '# gatehouse test config\n# nothing overridden\n');
    const g = gatehouse(configCheckArgs(good), env);
    assert.equal(g.status, 0, `config check of an empty (all defaults) file must pass: ${g.output}`);

    const bad = write('bad.yaml', '# gatehouse test config\n# line 2\nbogus_key_xyz: 1\n');
    const b = gatehouse(configCheckArgs(bad), env);
    assert.notEqual(b.status, 0, `config check must fail on an unknown key: ${b.output}`);
    assert.match(b.output, /bogus_key_xyz/, `the error names the key: ${b.output}`);
    assert.match(b.output, /bad\.yaml:3/, `the error names file and line ("bad.yaml:3: ..."): ${b.output}`);

    const nested = write('nested.yaml', 'session:\n  bogus_nested: 5\n');
    const n = gatehouse(configCheckArgs(nested), env);
    assert.notEqual(n.status, 0, `unknown nested key: ${n.output}`);
    assert.match(n.output, /bogus_nested/, `the error names the nested key: ${n.output}`);

    const value = write('value.yaml', 'session:\n  expires_in: -5\n');
    const v = gatehouse(configCheckArgs(value), env);
    assert.notEqual(v.status, 0, `a negative session.expires_in must be rejected: ${v.output}`);
    assert.match(v.output, /expires_in/, `the error names the key: ${v.output}`);
  });

  test('CLI: user create --password-stdin, then that user signs in', async () => {
    const email = uniqueEmail('cli');
    const pw = 'Cli-Created-Password-31';
    const r = gh.srv.cli(['user', 'create', '--email', email, '--name', 'Cli User', '--password-stdin'], { input: `${pw}\n` });
    assert.equal(r.status, 0, `user create: ${r.output}`);
    assert.ok(!r.output.includes(pw), 'the CLI must not echo the password');
    const c = makeClient(gh.srv.url);
    const s = expectOk(await c.auth.signIn.email({ email, password: pw }), 'sign-in as the CLI-created user');
    assert.equal(s.user.email, email);
    assert.equal(s.user.name, 'Cli User');
    const dup = gh.srv.cli(['user', 'create', '--email', email, '--name', 'Again', '--password-stdin'], { input: `${pw}\n` });
    assert.notEqual(dup.status, 0, `creating the same user twice must fail: ${dup.output}`);
  });

  test('refuses to start without GATEHOUSE_SECRET outside development mode', async () => {
    const dataDir = makeTmpDir('nosecret');
    const port = await freePort();
    const proc = spawnGatehouse(gatehouseEnv({ port, dataDir }, { GATEHOUSE_SECRET: undefined, GATEHOUSE_DEV: undefined }));
    const r = await waitExit(proc, 10_000);
    if (r === 'timeout') {
      proc.kill('SIGKILL');
      await proc.exited;
      assert.fail(`gatehouse kept running without a secret:\n${tail(proc.logs())}`);
    }
    assert.notEqual(r.code, 0, `must exit non-zero without a secret: ${JSON.stringify(r)}`);
    assert.match(proc.logs(), /secret/i, `the message must mention the secret: ${proc.logs()}`);
  });

  test('GATEHOUSE_DEV=1 without a secret generates <data_dir>/secret (0600) and reuses it', async () => {
    const noSecret = { GATEHOUSE_SECRET: undefined, GATEHOUSE_DEV: '1' };
    const srv = await startServer(noSecret);
    let cookie;
    try {
      await guard(srv, async () => {
        const file = path.join(srv.dataDir, 'secret');
        assert.ok(fs.existsSync(file), `${file} must exist`);
        const st = fs.statSync(file);
        assert.equal(st.mode & 0o777, 0o600, `secret file mode must be 0600, is ${(st.mode & 0o777).toString(8)}`);
        assert.ok(fs.readFileSync(file, 'utf8').trim().length >= 32, 'the generated secret has >= 32 characters');
        const c = makeClient(srv.url);
        await signUpUser(c);
        cookie = c.jar.get(COOKIE);
      });
    } finally {
      await srv.stop();
    }
    const again = await startServer(noSecret, { dataDir: srv.dataDir });
    try {
      await guard(again, async () => {
        const r = await request(again.url, 'GET', '/api/auth/get-session', { headers: { cookie: `${COOKIE}=${cookie}` } });
        assert.ok(r.json()?.session, `a session signed in the first run must still verify (secret reused): ${r.text}`);
      });
    } finally {
      await again.stop();
    }
  });

  test('first start prints a one-time bootstrap admin credential; a second start does not', async () => {
    const srv = await startServer();
    let creds;
    try {
      await guard(srv, async () => {
        await srv.waitForLog(/bootstrap admin/i, 5000);
        creds = parseBootstrap(srv.logs());
        assert.ok(creds?.email, `no e-mail found in: ${creds?.line}`);
        assert.ok(creds.password, `no password found in: ${creds.line}`);
        const c = makeClient(srv.url);
        expectOk(await c.auth.signIn.email({ email: creds.email, password: creds.password }), `sign-in with the bootstrap credential (${creds.line})`);
        const s = expectOk(await c.auth.getSession(), 'get-session');
        assert.equal(s.user.role, 'admin', `the bootstrap user is an admin: ${JSON.stringify(s.user)}`);
      });
    } finally {
      await srv.stop();
    }
    const again = await startServer({}, { dataDir: srv.dataDir, secret: srv.secret });
    try {
      await guard(again, async () => {
        await sleep(300);
        assert.doesNotMatch(again.logs(), /bootstrap admin/i, `the second start must not print a new credential:\n${again.logs()}`);
        expectOk(await makeClient(again.url).auth.signIn.email({ email: creds.email, password: creds.password }), 'the original credential still works');
      });
    } finally {
      await again.stop();
    }
  });
});
