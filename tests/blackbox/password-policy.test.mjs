// Password policy (NIST SP 800-63B: 8..128 code points, blocklist, no
// composition rules), failed-attempt lockout without user enumeration, and
// timing parity between unknown users and wrong passwords.
// SPEC.md "Accounts"; src/auth/password.h (NFKC, code points, lower-cased
// blocklist match); REFERENCE-better-auth.md §2 (PASSWORD_TOO_SHORT/LONG).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { guard, startServer, useServer } from './lib/server.mjs';
import { makeClient } from './lib/client.mjs';
import {
  PASSWORD, expectError, expectOk, median, request, signUpUser, uniqueEmail,
} from './lib/util.mjs';

const gh = useServer();
const client = () => makeClient(gh.srv.url);

/** Random printable ASCII password of n chars (never on a blocklist). */
const randomPassword = (n) => randomBytes(n * 2).toString('base64').replace(/[^A-Za-z0-9]/g, '').slice(0, n - 1) + '!';

function signIn(url, email, password) {
  return request(url, 'POST', '/api/auth/sign-in/email', {
    headers: { 'content-type': 'application/json', origin: 'http://localhost:3000' },
    body: JSON.stringify({ email, password }),
  });
}

describe('password policy', () => {
  test('7 characters → 400 PASSWORD_TOO_SHORT; 8 accepted', async () => {
    expectError(await client().auth.signUp.email({ email: uniqueEmail('short'), password: 'Xk9$-q2', name: 'S' }), 400, 'PASSWORD_TOO_SHORT', '7-char password');
    await signUpUser(client(), { password: 'Xk9$-q2z' });
  });

  test('129 characters → 400 PASSWORD_TOO_LONG; 128 accepted and signs in', async () => {
    expectError(await client().auth.signUp.email({ email: uniqueEmail('long'), password: randomPassword(129), name: 'L' }), 400, 'PASSWORD_TOO_LONG', '129-char password');
    const pw = randomPassword(128);
    assert.equal(pw.length, 128);
    const u = await signUpUser(client(), { password: pw });
    expectOk(await client().auth.signIn.email({ email: u.email, password: pw }), 'sign-in with a 128-char password');
  });

  test('common passwords → 400 PASSWORD_COMPROMISED (also in other letter case)', async () => {
    for (const pw of ['password123', 'Password123', 'PASSWORD123']) {
      const email = uniqueEmail('common');
      expectError(await client().auth.signUp.email({ email, password: pw, name: 'C' }), 400, 'PASSWORD_COMPROMISED', `sign-up with ${pw}`);
      expectError(await client().auth.signIn.email({ email, password: pw }), 401, 'INVALID_EMAIL_OR_PASSWORD', 'no user was created');
    }
    const c = client();
    await signUpUser(c);
    expectError(await c.auth.changePassword({ currentPassword: PASSWORD, newPassword: 'password123' }), 400, 'PASSWORD_COMPROMISED', 'change-password to a common password');
  });

  test('unicode passwords are accepted and sign in; NFC and NFD forms are the same password', async () => {
    const nfc = 'Ünïcödé-Pässwörd-ñandú-😀🔑'.normalize('NFC');
    const u = await signUpUser(client(), { password: nfc });
    expectOk(await client().auth.signIn.email({ email: u.email, password: nfc }), 'sign-in, same form');
    const nfd = nfc.normalize('NFD');
    assert.notEqual(nfd, nfc);
    expectOk(await client().auth.signIn.email({ email: u.email, password: nfd }), 'sign-in with the NFD form (passwords are NFKC-normalised)');
    expectError(await client().auth.signIn.email({ email: u.email, password: nfc.replace('😀', '😁') }), 401, 'INVALID_EMAIL_OR_PASSWORD', 'a different emoji is a different password');
  });

  test('length is counted in code points: 7 emoji too short, 8 emoji accepted', async () => {
    const emoji = [...'🦊🐙🦉🐢🦋🐝🦀🐳'];
    expectError(await client().auth.signUp.email({ email: uniqueEmail('emo7'), password: emoji.slice(0, 7).join(''), name: 'E' }), 400, 'PASSWORD_TOO_SHORT', '7 emoji (28 bytes) is 7 characters');
    const pw = emoji.join('');
    const u = await signUpUser(client(), { password: pw });
    expectOk(await client().auth.signIn.email({ email: u.email, password: pw }), 'sign-in with 8 emoji');
  });

  test('lockout (default 5): after 5 wrong passwords the right one is refused with the same 401', async () => {
    const u = await signUpUser(client());
    const bystander = await signUpUser(client());
    let wrongBody;
    for (let i = 0; i < 5; i++) {
      const r = await signIn(gh.srv.url, u.email, `Wrong-Password-${i}-xyz`);
      assert.equal(r.status, 401, `wrong attempt ${i + 1}: ${r.status} ${r.text}`);
      assert.equal(r.json().code, 'INVALID_EMAIL_OR_PASSWORD');
      wrongBody ??= r.text;
    }
    const locked = await signIn(gh.srv.url, u.email, PASSWORD);
    assert.equal(locked.status, 401, `the correct password must be refused while locked out: ${locked.status} ${locked.text}`);
    assert.equal(locked.text, wrongBody, 'locked-out answer is identical to a wrong password');
    assert.equal(locked.headers['set-cookie'], undefined, 'no cookie while locked out');
    const unknown = await signIn(gh.srv.url, uniqueEmail('nobody'), PASSWORD);
    assert.equal(unknown.text, wrongBody, 'unknown e-mail gets the identical answer');
    const other = await signIn(gh.srv.url, bystander.email, PASSWORD);
    assert.equal(other.status, 200, `other accounts are not locked: ${other.text}`);
  });

  describe('lockout with GATEHOUSE_LOCKOUT_MAX_ATTEMPTS=3', () => {
    let srv;
    before(async () => { srv = await startServer({ GATEHOUSE_LOCKOUT_MAX_ATTEMPTS: '3' }); });
    after(async () => { if (srv) await srv.stop(); });

    test('3 wrong passwords lock the account; the answer never differs', () => guard(srv, async () => {
      const u = await signUpUser(makeClient(srv.url));
      const control = await signUpUser(makeClient(srv.url));
      // Two failures are not enough: the right password still works.
      for (let i = 0; i < 2; i++) assert.equal((await signIn(srv.url, control.email, `Wrong-${i}-pass-xyz`)).status, 401);
      assert.equal((await signIn(srv.url, control.email, PASSWORD)).status, 200, 'two failures must not lock (limit is 3)');

      const bodies = [];
      for (let i = 0; i < 3; i++) {
        const r = await signIn(srv.url, u.email, `Wrong-${i}-pass-xyz`);
        assert.equal(r.status, 401);
        bodies.push(r.text);
      }
      const locked = await signIn(srv.url, u.email, PASSWORD);
      assert.equal(locked.status, 401, `correct password refused after 3 failures: ${locked.status} ${locked.text}`);
      bodies.push(locked.text);
      bodies.push((await signIn(srv.url, uniqueEmail('nobody'), PASSWORD)).text);
      assert.deepEqual(JSON.parse(bodies[0]), { message: 'Invalid email or password', code: 'INVALID_EMAIL_OR_PASSWORD' });
      for (const b of bodies) assert.equal(b, bodies[0], 'every answer is byte-identical');
    }));
  });

  test('timing: unknown e-mail vs wrong password medians differ by < 50%', async () => {
    const N = 10;
    const users = [];
    for (let i = 0; i < N; i++) users.push(await signUpUser(client()));
    const tUnknown = [];
    const tWrong = [];
    const time = async (email) => {
      const t0 = process.hrtime.bigint();
      const r = await signIn(gh.srv.url, email, 'Wrong-Timing-Password-1');
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      assert.equal(r.status, 401);
      return ms;
    };
    await time(uniqueEmail('warmup'));
    for (let i = 0; i < N; i++) {
      // Interleave so both series see the same background load.
      tUnknown.push(await time(uniqueEmail('nobody')));
      tWrong.push(await time(users[i].email));
    }
    const mu = median(tUnknown);
    const mw = median(tWrong);
    const ratio = Math.max(mu, mw) / Math.min(mu, mw);
    assert.ok(ratio < 1.5,
      `median unknown-email ${mu.toFixed(2)} ms vs wrong-password ${mw.toFixed(2)} ms (ratio ${ratio.toFixed(2)}): ` +
      'unknown users must cost a dummy hash (no enumeration by timing)');
  });
});
