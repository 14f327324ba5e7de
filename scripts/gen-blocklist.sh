#!/bin/sh
# Regenerates resources/common-passwords.txt, the common-password blocklist that
# src/auth/password.c embeds (docs/decisions/0006-password-blocklist.md).
#
# Source: the `passwords` list of the npm package zxcvbn@4.4.2 (MIT,
# Dan Wheeler and Dropbox), lib/frequency_lists.js: 30,000 passwords ranked by
# frequency in Xato's 10M-password corpus, already lower-cased. The tarball is
# checked against the registry's published sha512 before anything is read, so
# running this again gives a byte-identical file.
#
# usage: scripts/gen-blocklist.sh [OUTPUT] [COUNT]
#   OUTPUT defaults to resources/common-passwords.txt, COUNT to 30000 (all of them).
# needs: npm, node, tar.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$here/resources/common-passwords.txt}
count=${2:-30000}

pkg=zxcvbn@4.4.2
integrity='Bq0B+ixT/DMyG8kgX2xWcI5jUvCwqrMxSFam7m0lAf78nf04hv6lNCsyLYdyYTrCVMqNDY/206K7eExYCeSyUQ=='
# The day the list was first taken; fixed so that regenerating changes nothing.
retrieved=2026-11-22

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

# npm pack downloads the published tarball without installing or running it.
(cd "$work" && npm pack --silent "$pkg" >/dev/null)
tarball=$work/zxcvbn-4.4.2.tgz
actual=$(node -e '
const fs = require("fs"), crypto = require("crypto");
process.stdout.write(crypto.createHash("sha512").update(fs.readFileSync(process.argv[1])).digest("base64"));
' "$tarball")
if [ "$actual" != "$integrity" ]; then
  echo "gen-blocklist: $pkg tarball does not match its sha512 integrity" >&2
  exit 1
fi
tar -xzf "$tarball" -C "$work"

# frequency_lists.js is plain data (a CommonJS object of arrays); node reads it
# without running any other part of the package.
node -e '
const list = require(process.argv[1]).passwords;
const count = Number(process.argv[2]);
if (!Array.isArray(list) || list.length < count) {
  console.error("gen-blocklist: expected at least " + count + " passwords");
  process.exit(1);
}
for (const word of list.slice(0, count)) {
  // embed-list.sh needs one printable entry a line; a leading # is a comment.
  if (!/^[\x21-\x7e]+$/.test(word) || word.startsWith("#")) {
    console.error("gen-blocklist: unexpected entry " + JSON.stringify(word));
    process.exit(1);
  }
  console.log(word);
}' "$work/package/lib/frequency_lists.js" "$count" > "$work/words.txt"

{
  echo "# Common passwords, most frequent first, one a line (lower-case)."
  echo "# Source: npm package $pkg, lib/frequency_lists.js, list \"passwords\""
  echo "#   (ranked by frequency in Xato's 10M-password corpus); top $count entries."
  echo "# License: MIT, Copyright (c) 2012-2016 Dan Wheeler and Dropbox, Inc."
  echo "# Retrieved: $retrieved; tarball sha512-$integrity"
  echo "# Regenerate with scripts/gen-blocklist.sh; see docs/decisions/0006-password-blocklist.md."
  echo "# Lines starting with # are skipped by scripts/embed-list.sh."
  cat "$work/words.txt"
} > "$out.tmp"
mv "$out.tmp" "$out"
echo "gen-blocklist: wrote $count entries to $out" >&2
