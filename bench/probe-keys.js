#!/usr/bin/env node
// bench/probe-keys.js — forward-auth checks with one API key per request,
// timed per request, for bench/forward-auth.sh.
//
//   node bench/probe-keys.js [options] <host> <port> <keys>
//
//   <keys>            a file with one plaintext key a line, each sent once in
//                     file order; or random:N for N random, never-issued keys
//                     ("gh_" + 43 base64url characters, like real ones)
//   -c N              N keep-alive connections (default 1: strictly
//                     sequential, the next request leaves after the previous
//                     answer arrived); with N > 1 each connection takes the
//                     next unsent key when its previous answer arrived
//   --path P          default /api/authz/auth-request
//   --uri U           X-Original-URI, default /mcp/x
//
// Each request is `GET P HTTP/1.1` with X-Original-URI and X-API-Key, timed
// from the write to the last byte of the answer (process.hrtime.bigint()).
// Raw sockets and a minimal parser (status line + Content-Length; the
// forward-auth answers always carry one) keep the client's own share of the
// time small (tens of µs, about the same for every request).
//
// Prints one JSON object:
//   {"n", "ok" (2xx), "statuses": {code: count}, "connections", "wall_s",
//    "rps", "min_ms", "median_ms", "p90_ms", "p99_ms", "max_ms", "mean_ms"}
'use strict';
const net = require('node:net');
const fs = require('node:fs');
const crypto = require('node:crypto');

function usage(msg) {
  if (msg) process.stderr.write(`probe-keys: ${msg}\n`);
  process.stderr.write('usage: probe-keys.js [-c N] [--path P] [--uri U] <host> <port> <keys-file|random:N>\n');
  process.exit(2);
}

let conns = 1;
let path = '/api/authz/auth-request';
let origUri = '/mcp/x';
const pos = [];
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '-c') conns = Number(argv[++i]);
  else if (a === '--path') path = argv[++i];
  else if (a === '--uri') origUri = argv[++i];
  else if (a.startsWith('-')) usage(`unknown option ${a}`);
  else pos.push(a);
}
if (pos.length !== 3 || !(conns >= 1)) usage();
const [host, portText, source] = pos;

let keys;
if (source.startsWith('random:')) {
  const n = Number(source.slice(7));
  if (!(n >= 1)) usage('random:N needs N >= 1');
  const raw = crypto.randomBytes(32 * n);
  keys = new Array(n);
  for (let i = 0; i < n; i++) keys[i] = 'gh_' + raw.subarray(32 * i, 32 * i + 32).toString('base64url');
} else {
  keys = fs.readFileSync(source, 'utf8').split('\n').filter((k) => k.length > 0);
}
if (keys.length === 0) usage('no keys');
conns = Math.min(conns, keys.length);

const head = `GET ${path} HTTP/1.1\r\nHost: ${host}:${portText}\r\nX-Original-URI: ${origUri}\r\nX-API-Key: `;
const lat = new Float64Array(keys.length);
const statuses = {};
let ok = 0;
let next = 0;
let finished = 0;
let open = conns;
let wallStart;

function fail(msg) {
  process.stderr.write(`probe-keys: ${msg}\n`);
  process.exit(1);
}

function connection() {
  const sock = net.connect({ host, port: Number(portText) });
  sock.setNoDelay(true);
  let buf = Buffer.alloc(0);
  let idx = -1;
  let t0 = 0n;
  const send = () => {
    if (next >= keys.length) {
      sock.end();
      if (--open === 0) report();
      return;
    }
    idx = next++;
    t0 = process.hrtime.bigint();
    sock.write(head + keys[idx] + '\r\n\r\n');
  };
  sock.on('connect', () => {
    if (wallStart === undefined) wallStart = process.hrtime.bigint();
    send();
  });
  sock.on('data', (chunk) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    for (;;) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const h = buf.subarray(0, end).toString('latin1');
      const m = /\r\ncontent-length:\s*(\d+)/i.exec(h);
      if (!m) fail(`answer without Content-Length: ${h.split('\r\n')[0]}`);
      const total = end + 4 + Number(m[1]);
      if (buf.length < total) return;
      buf = buf.subarray(total);
      if (idx < 0) fail('answer without a request');
      lat[idx] = Number(process.hrtime.bigint() - t0) / 1e6;
      const st = Number(h.slice(9, 12));
      statuses[st] = (statuses[st] || 0) + 1;
      if (st >= 200 && st < 300) ok++;
      finished++;
      idx = -1;
      send();
    }
  });
  sock.on('error', (e) => fail(e.message));
  sock.on('close', () => { if (idx >= 0) fail('connection closed by the server'); });
}

function pct(sorted, p) { // nearest rank
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

function report() {
  const wall = Number(process.hrtime.bigint() - wallStart) / 1e9;
  const s = Float64Array.from(lat).sort();
  let sum = 0;
  for (const v of s) sum += v;
  const r3 = (v) => Math.round(v * 1000) / 1000;
  process.stdout.write(JSON.stringify({
    n: finished, ok, statuses, connections: conns,
    wall_s: r3(wall), rps: Math.round(finished / wall),
    min_ms: r3(s[0]), median_ms: r3(pct(s, 50)), p90_ms: r3(pct(s, 90)),
    p99_ms: r3(pct(s, 99)), max_ms: r3(s[s.length - 1]), mean_ms: r3(sum / s.length),
  }) + '\n');
}

for (let c = 0; c < conns; c++) connection();
