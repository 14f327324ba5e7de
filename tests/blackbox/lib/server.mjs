/*
 * server.mjs — starts the real gatehouse binary for black-box tests.
 *
 * Contract with the server (tests/blackbox/README.md has the overview):
 *   binary      $GATEHOUSE_BIN, default <repo>/build/gatehouse
 *   start       `gatehouse serve` with GATEHOUSE_LISTEN / BASE_URL / DATA_DIR /
 *               DATABASE_URL / SECRET / TRUSTED_ORIGINS / ARGON2_* set here
 *   ready       GET /healthz answers 200 (polled, 10 s timeout)
 *   stop        SIGTERM, the process must exit with code 0 (graceful drain)
 *
 * The child never inherits GATEHOUSE_* variables from the developer's shell,
 * so every run sees exactly the environment written below.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, after, afterEach, beforeEach } from 'node:test';

const here = path.dirname(fileURLToPath(import.meta.url));
/** Repository root: two levels above tests/blackbox. */
export const REPO_ROOT = path.resolve(here, '..', '..', '..');
export const BIN = process.env.GATEHOUSE_BIN
  ? path.resolve(process.env.GATEHOUSE_BIN)
  : path.join(REPO_ROOT, 'build', 'gatehouse');

/** The browser origin our clients pretend to be; listed in TRUSTED_ORIGINS. */
export const TRUSTED_ORIGIN = 'http://localhost:3000';

/**
 * Settings every test server gets (on top of listen/base-url/data-dir/db/secret).
 * gatehouse rejects unknown GATEHOUSE_* variables, so only existing settings
 * belong here. NOTE: once the rate limiter exists, add its off switch here —
 * Better-Auth's default rules allow only 3 sign-ins / sign-ups per 10 s per
 * IP, every test client is 127.0.0.1, and the suite signs in far more often.
 */
export const TEST_DEFAULTS = Object.freeze({
  GATEHOUSE_TRUSTED_ORIGINS: TRUSTED_ORIGIN,
  GATEHOUSE_ARGON2_MEMORY_KIB: '8192',
  GATEHOUSE_ARGON2_ITERATIONS: '1',
  // Better-Auth's per-IP limits on sign-in/sign-up (3 per 10 s) would trip
  // the suite, whose clients are all 127.0.0.1; ratelimit.test.mjs turns
  // them back on where they are under test.
  GATEHOUSE_AUTH_RATE_LIMITS: 'false',
});

const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 10_000;

const children = new Set();
const tmpDirs = new Set();
process.on('exit', (code) => {
  for (const child of children) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }
  // Keep the data directories of a failed run for post-mortem.
  if (code === 0 && !process.env.GATEHOUSE_KEEP_TMP) {
    for (const dir of tmpDirs) fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** A TCP port that was free a moment ago (listen on 0, read it, close). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export function makeTmpDir(tag = 'gh') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `gatehouse-bb-${tag}-`));
  tmpDirs.add(dir);
  return dir;
}

export function randomSecret() {
  return randomBytes(32).toString('hex'); // 64 hex chars
}

/** process.env without any GATEHOUSE_* variable. */
function cleanEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('GATEHOUSE_')) env[k] = v;
  }
  return env;
}

/** Merges env layers; a value of undefined or null removes the variable. */
function mergeEnv(...layers) {
  const out = {};
  for (const layer of layers) {
    for (const [k, v] of Object.entries(layer || {})) {
      if (v === undefined || v === null) delete out[k];
      else out[k] = String(v);
    }
  }
  return out;
}

/** The GATEHOUSE_* environment for a server (or CLI run) on this data dir. */
export function gatehouseEnv({ port, dataDir, secret }, extraEnv = {}) {
  const env = {
    ...TEST_DEFAULTS,
    GATEHOUSE_DATA_DIR: dataDir,
    GATEHOUSE_DATABASE_URL: `sqlite:${path.join(dataDir, 'gh.db')}`,
  };
  if (port) {
    env.GATEHOUSE_LISTEN = `127.0.0.1:${port}`;
    env.GATEHOUSE_BASE_URL = `http://127.0.0.1:${port}`;
  }
  if (secret) env.GATEHOUSE_SECRET = secret;
  return mergeEnv(env, extraEnv);
}

function assertBinary() {
  if (!fs.existsSync(BIN)) {
    throw new Error(
      `gatehouse binary not found at ${BIN}. Build it (meson compile -C build) ` +
      `or set GATEHOUSE_BIN.`);
  }
}

/**
 * Runs a CLI subcommand synchronously: gatehouse(['user','create',...], env, {input}).
 * `env` is layered over process.env (minus GATEHOUSE_*); pass srv.env to reach
 * the same database as a running server (or use srv.cli()).
 */
export function gatehouse(args, env = {}, { input, timeoutMs = 30_000 } = {}) {
  assertBinary();
  const r = spawnSync(BIN, args, {
    env: mergeEnv(cleanEnv(), env),
    input,
    encoding: 'utf8',
    timeout: timeoutMs,
    cwd: REPO_ROOT,
  });
  if (r.error) throw r.error;
  return {
    status: r.status,
    signal: r.signal,
    stdout: r.stdout,
    stderr: r.stderr,
    output: `${r.stdout}${r.stderr}`,
  };
}

function httpGet(url, timeoutMs = 1000) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Spawns `gatehouse serve` (or opts.args) without waiting for readiness.
 * Returns a handle with logs(), exited (Promise<{code, signal}>) and kill().
 */
export function spawnGatehouse(env, { args = ['serve'] } = {}) {
  assertBinary();
  const chunks = [];
  const child = spawn(BIN, args, {
    env: mergeEnv(cleanEnv(), env),
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: REPO_ROOT,
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (d) => { stdout += d; chunks.push(d); });
  child.stderr.on('data', (d) => { stderr += d; chunks.push(d); });
  let exitInfo = null;
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      // 'exit' may fire before the pipes are drained; 'close' follows.
      exitInfo = { code, signal };
    });
    child.on('close', () => {
      children.delete(child);
      resolve(exitInfo);
    });
    child.on('error', (err) => {
      chunks.push(`[harness] spawn error: ${err.message}\n`);
      children.delete(child);
      resolve({ code: null, signal: null, error: err });
    });
  });
  return {
    child,
    exited,
    get exitInfo() { return exitInfo; },
    logs: () => chunks.join(''),
    stdout: () => stdout,
    stderr: () => stderr,
    kill: (sig = 'SIGKILL') => { try { child.kill(sig); } catch { /* gone */ } },
  };
}

/**
 * Starts a server and waits for GET /healthz == 200.
 *   extraEnv: overrides (undefined/null removes a variable, e.g. GATEHOUSE_SECRET)
 *   opts.dataDir / opts.secret: reuse a previous server's state
 * Returns {url, port, dataDir, secret, env, pid, logs(), stdout(), stderr(),
 *          waitForLog(re), cli(args, {input, env}), stop(), kill()}.
 */
export async function startServer(extraEnv = {}, opts = {}) {
  const dataDir = opts.dataDir ?? makeTmpDir();
  const secret = opts.secret ?? randomSecret();
  let lastError;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const env = gatehouseEnv({ port, dataDir, secret }, extraEnv);
    const proc = spawnGatehouse(env, opts);
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let ready = false;
    while (Date.now() < deadline) {
      if (proc.exitInfo) break;
      try {
        if ((await httpGet(`${url}/healthz`)) === 200) { ready = true; break; }
      } catch { /* not listening yet */ }
      await sleep(50);
    }
    if (ready) return makeHandle({ proc, url, port, dataDir, secret, env });
    proc.kill('SIGKILL');
    const info = await proc.exited;
    const logs = proc.logs();
    lastError = new Error(
      `gatehouse did not become ready on ${url} (exited early or no 200 from /healthz within ${READY_TIMEOUT_MS} ms) ` +
      `(exit: ${JSON.stringify(info)}).\n--- server output ---\n${logs}`);
    // Someone else took the port between freePort() and bind(): try another.
    if (!/in use|EADDRINUSE/i.test(logs)) break;
  }
  throw lastError;
}

function makeHandle({ proc, url, port, dataDir, secret, env }) {
  let stopped = null;
  const handle = {
    url,
    port,
    dataDir,
    secret,
    env,
    pid: proc.child.pid,
    exited: proc.exited,
    logs: proc.logs,
    stdout: proc.stdout,
    stderr: proc.stderr,
    kill: proc.kill,
    /** Waits until the combined output matches `re`; returns the match. */
    async waitForLog(re, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = proc.logs().match(re);
        if (m) return m;
        if (Date.now() > deadline) {
          throw new Error(`server output did not match ${re} within ${timeoutMs} ms:\n${proc.logs()}`);
        }
        await sleep(25);
      }
    },
    /** CLI subcommand against this server's data dir / database / secret. */
    cli(args, { input, env: more = {}, timeoutMs } = {}) {
      const cliEnv = mergeEnv(env, more);
      return gatehouse(args, cliEnv, { input, timeoutMs });
    },
    /**
     * SIGTERM and wait; throws unless the exit code is 0.
     * Returns {code, signal}. Idempotent.
     */
    async stop() {
      if (!stopped) {
        stopped = (async () => {
          if (!proc.exitInfo) proc.kill('SIGTERM');
          let timer;
          const timeout = new Promise((r) => { timer = setTimeout(() => r('timeout'), STOP_TIMEOUT_MS); });
          const r = await Promise.race([proc.exited, timeout]);
          clearTimeout(timer);
          if (r === 'timeout') {
            proc.kill('SIGKILL');
            await proc.exited;
            throw new Error(
              `gatehouse did not exit within ${STOP_TIMEOUT_MS} ms of SIGTERM.\n` +
              `--- server output ---\n${tail(proc.logs())}`);
          }
          if (r.code !== 0) {
            throw new Error(
              `gatehouse exited with ${JSON.stringify(r)} after SIGTERM; expected code 0 ` +
              `(graceful drain).\n--- server output ---\n${tail(proc.logs())}`);
          }
          return r;
        })();
      }
      return stopped;
    },
  };
  return handle;
}

export function tail(text, lines = 200) {
  const all = text.split('\n');
  return all.length > lines ? `[... ${all.length - lines} lines cut ...]\n` + all.slice(-lines).join('\n') : text;
}

/**
 * Registers before/after hooks for one server per test file and prints the
 * server's output produced during any failing test.
 *   const gh = useServer();   // later: gh.srv.url
 */
export function useServer(extraEnv = {}, opts = {}) {
  const holder = { srv: null };
  let mark = 0;
  before(async () => { holder.srv = await startServer(extraEnv, opts); });
  beforeEach(() => { mark = holder.srv ? holder.srv.logs().length : 0; });
  afterEach((t) => {
    if (holder.srv && t && t.passed === false) {
      const out = holder.srv.logs().slice(mark);
      process.stderr.write(
        `\n--- gatehouse output during failed test "${t.name}" (data dir ${holder.srv.dataDir}) ---\n` +
        `${tail(out, 80)}\n--- end ---\n`);
    }
  });
  after(async () => { if (holder.srv) await holder.srv.stop(); });
  return holder;
}

/**
 * Runs fn(); if it throws, prints the server's recent output first (for
 * servers started inside a test rather than by useServer()).
 */
export async function guard(srv, fn) {
  try {
    return await fn();
  } catch (err) {
    process.stderr.write(`\n--- gatehouse output (${srv.url}, data dir ${srv.dataDir}) ---\n${tail(srv.logs(), 80)}\n--- end ---\n`);
    throw err;
  }
}
