#!/usr/bin/env bash
# Installs every system package gatehouse's build, server, tests and benchmarks
# need on Debian 12. Idempotent: installs only what is missing; safe to re-run.
set -euo pipefail

pkgs=(
  # build
  build-essential pkg-config meson ninja-build clang clang-format
  libclang-rt-14-dev llvm
  # libraries
  libmicrohttpd-dev libsodium-dev libjansson-dev libsqlite3-dev libyaml-dev
  libunistring-dev libhiredis-dev libpq-dev libcurl4-openssl-dev
  # unit tests
  libcmocka-dev
  # tools the tests and the bench start
  sqlite3 nginx-light wrk redis-server postgresql util-linux procps curl
  python3 python3-fastapi python3-uvicorn python3-httpx
)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ! command -v node >/dev/null 2>&1; then missing+=(nodejs npm); fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian starts these services on install; the tests start their own.
  for s in nginx redis-server postgresql; do
    $SUDO systemctl disable --now "$s" >/dev/null 2>&1 || $SUDO service "$s" stop >/dev/null 2>&1 || true
  done
fi
echo "deps: all system packages present" >&2
