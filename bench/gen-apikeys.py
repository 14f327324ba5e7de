#!/usr/bin/env python3
"""bench/gen-apikeys.py — N API keys as gatehouse stores them, for bench/forward-auth.sh.

Writes a CSV (header: id,name,start,key,referenceId,createdAt) to be loaded
with the sqlite3 CLI's `.import` into a staging table and copied into
`apikey` (src/store/migrations/sqlite/0002_apikey.sql). Plaintext keys leave
this script only for the rows picked for probing:

  --probe-out FILE   PROBE random rows, one plaintext key a line
  --fill-out FILE    FILL other random rows, one plaintext key a line

Each key looks like one minted by gatehouse (src/auth/apikey.c apikey_mint):
"gh_" + base64url-nopad(32 random bytes). Its stored form is
lowercase hex(HMAC-SHA256(K, key)) with
K = HMAC-SHA256(secret, "gatehouse/apikey/v1") (apikey_init, key_hmac; the
secret is used as the bytes of the configured string). `start` is the prefix
plus 6 characters, as apikey_mint makes it. Row ids are 32 random hex
characters. The secret is read from the environment variable BENCH_SECRET
so that it does not show up in `ps`.

Standard library only; about 4 s per million rows on one core.
"""
import argparse
import base64
import csv
import hashlib
import hmac
import os
import random
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--owner", required=True, help="referenceId (an existing user id)")
    ap.add_argument("--created-at", type=int, required=True, help="createdAt/updatedAt, ms")
    ap.add_argument("--csv", required=True)
    ap.add_argument("--prefix", default="gh_")
    ap.add_argument("--probe", type=int, default=200)
    ap.add_argument("--probe-out", required=True)
    ap.add_argument("--fill", type=int, default=200000)
    ap.add_argument("--fill-out", required=True)
    a = ap.parse_args()

    secret = os.environ.get("BENCH_SECRET", "")
    if len(secret) < 32:
        sys.exit("gen-apikeys: BENCH_SECRET must hold the server secret (>= 32 bytes)")
    if a.probe + a.fill > a.count:
        sys.exit("gen-apikeys: --probe + --fill must not exceed --count")

    k = hmac.new(secret.encode(), b"gatehouse/apikey/v1", hashlib.sha256).digest()
    mac = hmac.new(k, digestmod=hashlib.sha256)  # copied per key: no re-keying

    picked = random.SystemRandom().sample(range(a.count), a.probe + a.fill)
    role = {i: 0 for i in picked[: a.probe]}
    role.update({i: 1 for i in picked[a.probe :]})
    kept = ([], [])

    prefix = a.prefix
    start_len = min(len(prefix) + 6, 15)
    created = str(a.created_at)
    batch = 65536
    with open(a.csv, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["id", "name", "start", "key", "referenceId", "createdAt"])
        done = 0
        while done < a.count:
            n = min(batch, a.count - done)
            raw = os.urandom(48 * n)
            rows = []
            for j in range(n):
                body = base64.urlsafe_b64encode(raw[48 * j : 48 * j + 32]).rstrip(b"=")
                key = prefix + body.decode()
                m = mac.copy()
                m.update(key.encode())
                rows.append((raw[48 * j + 32 : 48 * j + 48].hex(), "bench", key[:start_len],
                             m.hexdigest(), a.owner, created))
                r = role.get(done + j)
                if r is not None:
                    kept[r].append(key)
            w.writerows(rows)
            done += n
    for path, keys in ((a.probe_out, kept[0]), (a.fill_out, kept[1])):
        with open(path, "w") as f:
            f.write("\n".join(keys) + "\n")


if __name__ == "__main__":
    main()
