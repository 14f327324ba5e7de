// Rate limits with a real redis-server started here: one global limit across
// two gatehouse processes, exact under concurrency, the configured behaviour
// while Redis is down (local / closed) and recovery without a restart; plus
// in-process limits before password hashing and spoofed X-Forwarded-For.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { freePort, makeTmpDir, startServer } from './lib/server.mjs';
import { request, sleep } from './lib/util.mjs';

function redisPing(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.on('connect', () => s.write('PING\r\n'));
    s.on('data', (d) => { s.destroy(); resolve(d.toString().startsWith('+PONG')); });
    s.on('error', () => resolve(false));
  });
}

async function startRedis(port) {
  const proc = spawn('/usr/bin/redis-server', ['--port', String(port), '--bind', '127.0.0.1',
    '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !(await redisPing(port)); i++) await sleep(50);
  assert.ok(await redisPing(port), 'redis-server answers PING');
  return proc;
}

async function stopRedis(proc) {
  if (proc.exitCode !== null) return;
  const done = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGKILL');
  await done;
}

const check = (srv, uri, headers = {}) => request(srv.url, 'GET', '/api/authz/forward-auth', {
  headers: { 'x-forwarded-uri': uri, ...headers } });

const R = {};

describe('rate limits on Redis', () => {
  before(async () => {
    R.port = await freePort();
    R.redis = await startRedis(R.port);
    const dir = makeTmpDir('rlc');
    const file = path.join(dir, 'gatehouse.yaml');
    fs.writeFileSync(file, `policies:
  - {path: "/*", access: public}
rate_limits:
  redis_url: "redis://127.0.0.1:${R.port}"
  rules:
    - {name: global, by: global, path: "/global/*", limit: 200, window: 3600}
    - {name: open-rule, by: ip, path: "/local/*", limit: 3, window: 3600, on_redis_failure: local}
    - {name: closed-rule, by: ip, path: "/closed/*", limit: 1000, window: 3600, on_redis_failure: closed}
`);
    const env = { GATEHOUSE_TRUSTED_PROXIES: '127.0.0.1' };
    R.a = await startServer(env, { args: ['serve', '--config', file] });
    R.b = await startServer(env, { args: ['serve', '--config', file] });
  });
  after(async () => {
    await R.a?.stop();
    await R.b?.stop();
    if (R.redis) await stopRedis(R.redis);
  });

  test('/readyz reports Redis up', async () => {
    const r = await request(R.a.url, 'GET', '/readyz');
    assert.equal(r.json().checks.ratelimit_redis, 'up');
  });

  test('two processes, 400 concurrent requests, one global limit of 200: exactly 200 pass', async () => {
    const reqs = [];
    for (let i = 0; i < 400; i++) reqs.push(check(i % 2 ? R.a : R.b, `/global/${i}`));
    const res = await Promise.all(reqs);
    const ok = res.filter((r) => r.status === 200).length;
    const limited = res.filter((r) => r.status === 429);
    assert.ok(Math.abs(ok - 200) <= 2, `allowed ${ok}, expected 200 (±1 %)`);
    assert.equal(ok + limited.length, 400, 'every other answer is a 429');
    const one = limited[0];
    assert.equal(one.json().code, 'RATE_LIMITED');
    assert.ok(Number(one.headers['retry-after']) >= 1, 'Retry-After');
    assert.equal(one.headers['x-retry-after'], one.headers['retry-after'], 'X-Retry-After');
    assert.match(one.headers['ratelimit-policy'], /"global";q=200;w=3600/);
    assert.match(one.headers.ratelimit, /"global";r=0;t=\d+/);
  });

  test('Redis killed: a "local" rule falls back to in-process limits, a "closed" one refuses; restarted: back to Redis', async () => {
    await stopRedis(R.redis);
    await sleep(300);
    const local = [];
    for (let i = 0; i < 5; i++) local.push((await check(R.a, `/local/${i}`)).status);
    assert.deepEqual(local, [200, 200, 200, 429, 429], `local fallback keeps the limit: ${local}`);
    const closed = await check(R.a, '/closed/x');
    assert.equal(closed.status, 503, `closed rule while Redis is down: ${closed.status} ${closed.text}`);
    assert.equal(closed.json().code, 'RATE_LIMIT_UNAVAILABLE');
    const ready = await request(R.a.url, 'GET', '/readyz');
    assert.equal(ready.json().checks.ratelimit_redis, 'down');
    const metrics = await request(R.a.url, 'GET', '/metrics');
    assert.match(metrics.text, /gatehouse_ratelimit_redis_up 0/);

    R.redis = await startRedis(R.port);
    let state = 'down';
    for (let i = 0; i < 100 && state !== 'up'; i++) {
      await sleep(100);
      state = (await request(R.a.url, 'GET', '/readyz')).json().checks.ratelimit_redis;
    }
    assert.equal(state, 'up', 'recovers without a restart');
    const again = await check(R.a, '/closed/y');
    assert.equal(again.status, 200, `closed rule works again: ${again.status}`);
  });
});

describe('in-process limits', () => {
  before(async () => {
    R.mem = await startServer({ GATEHOUSE_AUTH_RATE_LIMITS: 'true',
      GATEHOUSE_ARGON2_MEMORY_KIB: '19456', GATEHOUSE_ARGON2_ITERATIONS: '2' });
  });
  after(async () => { await R.mem?.stop(); });

  const signIn = (ip) => {
    const t0 = process.hrtime.bigint();
    return request(R.mem.url, 'POST', '/api/auth/sign-in/email', {
      headers: { 'content-type': 'application/json', ...(ip ? { 'x-forwarded-for': ip } : {}) },
      body: JSON.stringify({ email: 'nobody@example.com', password: 'wrong-password-123' }),
    }).then((r) => ({ ...r, ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
  };

  test('sign-in: 3 per 10 s per IP, the 4th is refused before any hashing; a spoofed X-Forwarded-For does not help', async () => {
    const res = [];
    // the peer is not a trusted proxy: every X-Forwarded-For is ignored
    for (let i = 0; i < 5; i++) res.push(await signIn(`203.0.113.${i}`));
    assert.deepEqual(res.map((r) => r.status), [401, 401, 401, 429, 429]);
    const hashed = Math.min(...res.slice(0, 3).map((r) => r.ms));
    const refused = Math.max(...res.slice(3).map((r) => r.ms));
    assert.ok(refused < hashed, `a refused sign-in (${refused.toFixed(2)} ms) costs less than a hashed one (${hashed.toFixed(2)} ms)`);
    assert.equal(res[3].json().code, 'RATE_LIMITED');
    assert.ok(res[3].headers['x-retry-after'], 'X-Retry-After for the Better-Auth client');
  });
});
