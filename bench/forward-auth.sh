#!/usr/bin/env bash
# bench/forward-auth.sh — gatehouse forward-auth bench against nginx
# `return 200`, in one run, on one machine: API-key and session-cookie checks
# on GET /api/authz/auth-request, the cost of a rate-limit rule (in memory and
# on Redis), and one million API keys in SQLite. See bench/README.md.
#
# Usage: bench/forward-auth.sh       (from anywhere; needs build/gatehouse)
# Environment (all optional):
#   GATEHOUSE_BIN       gatehouse binary (default: <repo>/build/gatehouse)
#   BENCH_DURATION      measured seconds per wrk scenario (default 10)
#   BENCH_WARMUP        warm-up seconds before each measurement (default 2)
#   BENCH_RESULTS       file the results are appended to (default bench/RESULTS.md;
#                       set to /dev/null to not record)
#   BENCH_KEYS          API keys generated into SQLite (default 1000000)
#   BENCH_PROBE_KEYS    keys probed one by one for first-use latency (default 200)
#   BENCH_FILL_KEYS     keys verified once to fill the cache (default 200000)
#   BENCH_REDIS_SERVER  redis-server binary (default /usr/bin/redis-server)
#   BENCH_KEEP_TMP=1    keep the temporary directory (logs, wrk outputs, keys)
#
# Everything listens on 127.0.0.1 only. Servers (nginx, gatehouse) are pinned
# to core 0; wrk, Redis and this script with all its helpers (curl, node,
# python3, sqlite3) to core 1. Every process started here is stopped by PID
# on exit.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/lib.sh
source "$BENCH_DIR/lib.sh"
MEASURE_THREADS=1 OTHER_SUBTRACT_SELF=1
N_KEYS=${BENCH_KEYS:-1000000}
N_PROBE=${BENCH_PROBE_KEYS:-200}
N_FILL=${BENCH_FILL_KEYS:-200000}
REDIS_SERVER=${BENCH_REDIS_SERVER:-/usr/bin/redis-server}
KEYS_LUA=$BENCH_DIR/keys.lua
GEN=$BENCH_DIR/gen-apikeys.py
PROBE=$BENCH_DIR/probe-keys.js
COMMAND_LINE="$0${*:+ $*}"

ORIG_URI=/mcp/x
ORIG_HDR="X-Original-URI: $ORIG_URI"

require_tools wrk nginx taskset curl getconf awk node python3 sqlite3 redis-cli
[[ -x $REDIS_SERVER ]] || die "$REDIS_SERVER not found (Debian: apt-get install redis-server)"
check_bin
for f in "$KEYS_LUA" "$GEN" "$PROBE"; do [[ -r $f ]] || die "$f missing"; done
check_timing
for v in N_KEYS N_PROBE N_FILL; do [[ ${!v} =~ ^[0-9]+$ && ${!v} -ge 1 ]] || die "$v must be a positive integer"; done
((N_PROBE + N_FILL <= N_KEYS)) || die "BENCH_PROBE_KEYS + BENCH_FILL_KEYS must not exceed BENCH_KEYS"
check_cores

# This shell and every helper it starts run on core 1, next to wrk; the
# servers are started with `taskset -c 0`, which overrides it.
taskset -cp 1 $$ >/dev/null || die "cannot pin the bench shell to core 1"

bench_setup gatehouse-fabench
idle_check

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# Fields of probe-keys.js's one-line JSON.
jnum() { sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p" "$1"; }
jstatuses() { sed -n 's/.*"statuses":{\([^}]*\)}.*/\1/p' "$1" | tr -d '"' | sed 's/:/×/g; s/,/, /g'; }

ODD=() THREAD_NOTES=()

# ---------------------------------------------------------------- nginx
start_nginx

# ------------------------------------------------------------ gatehouse
gatehouse_data
GH_DB=$GH_DATA/gatehouse.db

POLICY_YAML='policies:
  - {path: "/mcp/*", access: authenticated}'
RULE_YAML='  rules:
    - {name: bench, by: key, limit: 1000000000, window: 3600}'
printf '%s\n' "$POLICY_YAML" >"$TMP/plain.yaml"
printf '%s\nrate_limits:\n%s\n' "$POLICY_YAML" "$RULE_YAML" >"$TMP/rule-memory.yaml"

GH_ENV=(GATEHOUSE_DATA_DIR="$GH_DATA" GATEHOUSE_HTTP_THREADS=1 GATEHOUSE_WORKERS=1
	GATEHOUSE_LOG_LEVEL=warn GATEHOUSE_TRUSTED_PROXIES=127.0.0.1 GATEHOUSE_AUTH_RATE_LIMITS=false)
GH_ENV_TEXT="${GH_ENV[*]//"$GH_DATA"/\$TMP/gatehouse-data} GATEHOUSE_SECRET=<random 64 hex>"

# Polls GET /healthz on a fresh connection (bash /dev/tcp: no fork per try,
# so the resolution is well under a millisecond) until it answers 200.
wait_healthz_fast() { # port pid label
	local line deadline=$((${EPOCHREALTIME%.*} + 10))
	while :; do
		if { exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null; then
			printf 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
			line=
			read -r -t 2 line <&3 || true
			exec 3<&-
			[[ $line == "HTTP/1."?" 200"* ]] && return 0
		fi
		kill -0 "$2" 2>/dev/null || die "$3 exited during start-up (see log below)"$'\n'"$(tail -n 20 "$TMP/$3.log" 2>/dev/null)"
		((${EPOCHREALTIME%.*} < deadline)) || die "$3 did not answer /healthz within 10 s"
	done
}

# start_gatehouse <config> <label>: gatehouse on core 0. Sets GH_PID,
# GH_URL, GH_PORT, GH_START_MS (fork to the first 200 from /healthz) and
# GH_RSS_KB (VmRSS right then).
start_gatehouse() {
	local config=$1 label=$2 t0 t1
	GH_PORT=$(free_port)
	t0=$EPOCHREALTIME
	env "${GH_ENV[@]}" GATEHOUSE_SECRET="$GH_SECRET" GATEHOUSE_LISTEN="127.0.0.1:$GH_PORT" \
		GATEHOUSE_CONFIG="$config" \
		taskset -c 0 "$BIN_RUN" serve >"$TMP/$label.log" 2>&1 &
	GH_PID=$!
	PIDS+=("$GH_PID")
	wait_healthz_fast "$GH_PORT" "$GH_PID" "$label"
	t1=$EPOCHREALTIME
	GH_RSS_KB=$(rss_kb "$GH_PID")
	GH_START_MS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) * 1000 }')
	GH_URL=http://127.0.0.1:$GH_PORT
	FA_URL=$GH_URL/api/authz/auth-request
	STARTS+=("$label: ${GH_START_MS} ms to /healthz, VmRSS $((GH_RSS_KB / 1024)) MiB")
	log "gatehouse $label on $GH_URL (pid $GH_PID, core 0; up in ${GH_START_MS} ms, RSS ${GH_RSS_KB} kB)"
}
STARTS=()

# fa_check <label> <header...>: one forward-auth request with curl; sets
# FA_CODE and leaves the headers in $TMP/fa.headers.
fa_check() {
	local label=$1 args=() h
	shift
	for h in "$@"; do args+=(-H "$h"); done
	FA_CODE=$(curl -sS --max-time 10 -D "$TMP/fa.headers" -o "$TMP/fa.body" -w '%{http_code}' \
		-H "$ORIG_HDR" "${args[@]}" "$FA_URL") || die "$label: curl failed"
}
fa_header() { tr -d '\r' <"$TMP/fa.headers" | awk -v h="$1" 'tolower($0) ~ "^" tolower(h) ":" { sub(/^[^:]*: */, ""); print; exit }'; }

start_gatehouse "$TMP/plain.yaml" gatehouse
START_EMPTY_MS=$GH_START_MS

# ------------------------------------------- user, session cookie, API key
sign_up

# Cookie-authenticated POSTs need an Origin the server trusts (its base URL,
# derived from the listen address).
code=$(curl -sS --max-time 30 -o "$TMP/key.json" -w '%{http_code}' \
	-H 'Content-Type: application/json' -H "Origin: $GH_URL" -H "$COOKIE_HDR" \
	--data '{"name":"bench"}' "$GH_URL/api/auth/api-key/create")
[[ $code == 200 ]] || die "api-key/create answered $code: $(cat "$TMP/key.json")"
API_KEY=$(sed -n 's/.*"key":"\([^"]*\)".*/\1/p' "$TMP/key.json")
[[ -n $API_KEY ]] || die "no key field in the api-key/create answer"
KEY_HDR="X-API-Key: $API_KEY"
OWNER_ID=$(sed -n 's/.*"referenceId":"\([^"]*\)".*/\1/p' "$TMP/key.json")

fa_check "API key" "$KEY_HDR"
[[ $FA_CODE == 200 && -n $(fa_header X-Auth-Key-Id) ]] ||
	die "forward-auth with the API key answered $FA_CODE: $(cat "$TMP/fa.body")"
fa_check "session" "$COOKIE_HDR"
[[ $FA_CODE == 200 && $(fa_header Remote-User) == "$OWNER_ID" ]] ||
	die "forward-auth with the session cookie answered $FA_CODE: $(cat "$TMP/fa.body")"
log "signed up $EMAIL, created an API key; forward-auth answers 200 for both"

# ------------------------------------------------------ 0: nginx GET /
measure "$TMP/nginx.out" "nginx GET /" "${NGINX_PROCS[@]}" -- -c64 "$NGINX_URL"
alive_or_die "$NGINX_PID" nginx
NGINX_RPS=$(wrk_rps "$TMP/nginx.out")
add_row "nginx \`return 200\` GET / (core 0, -c64)" "$(fmt_rps "$NGINX_RPS")" "$(wrk_p99_ms "$TMP/nginx.out") ms" \
	"$(per_req "$M_CPU_US" "$(wrk_requests "$TMP/nginx.out")")" "1.00×" "$(err_cell "$TMP/nginx.out")"

# ------------------------------------- 2: forward-auth, session cookie
measure "$TMP/fa-session.out" "forward-auth, session cookie" "$GH_PID" -- -c64 -H "$ORIG_HDR" -H "$COOKIE_HDR" "$FA_URL"
alive_or_die "$GH_PID" gatehouse
FS_RPS=$(wrk_rps "$TMP/fa-session.out")
FS_P99=$(wrk_p99_ms "$TMP/fa-session.out")
FS_ERR=$(err_cell "$TMP/fa-session.out")
FS_CPU=$(per_req "$M_CPU_US" "$(wrk_requests "$TMP/fa-session.out")")
add_row "forward-auth, session cookie (core 0, -c64)" "$(fmt_rps "$FS_RPS")" "$FS_P99 ms" "$FS_CPU" \
	"$(ratio "$FS_RPS" "$NGINX_RPS")" "$FS_ERR"

# ------------------------------------------------ 1: forward-auth, API key
measure "$TMP/fa-key.out" "forward-auth, API key" "$GH_PID" -- -c64 -H "$ORIG_HDR" -H "$KEY_HDR" "$FA_URL"
alive_or_die "$GH_PID" gatehouse
FK_RPS=$(wrk_rps "$TMP/fa-key.out")
FK_P99=$(wrk_p99_ms "$TMP/fa-key.out")
FK_ERR=$(err_cell "$TMP/fa-key.out")
FK_REQ=$(wrk_requests "$TMP/fa-key.out")
FK_CPU=$(per_req "$M_CPU_US" "$FK_REQ")
add_row "forward-auth, API key (core 0, -c64)" "$(fmt_rps "$FK_RPS")" "$FK_P99 ms" "$FK_CPU" \
	"$(ratio "$FK_RPS" "$NGINX_RPS")" "$FK_ERR"
THREAD_NOTES+=("forward-auth, API key: $M_THREADS")
stop_pid "$GH_PID"

# ------------------------------------ 3a: one rate-limit rule, in memory
start_gatehouse "$TMP/rule-memory.yaml" gatehouse-rule-memory
START_SMALL_MS=$GH_START_MS START_SMALL_RSS=$GH_RSS_KB
fa_check "API key, in-memory rule" "$KEY_HDR"
[[ $FA_CODE == 200 && $(fa_header RateLimit-Policy) == *'"bench"'* ]] ||
	die "forward-auth with the in-memory rule answered $FA_CODE (RateLimit-Policy: $(fa_header RateLimit-Policy)): $(cat "$TMP/fa.body")"
measure "$TMP/fa-rule-mem.out" "forward-auth, API key, in-memory rule" "$GH_PID" -- -c64 -H "$ORIG_HDR" -H "$KEY_HDR" "$FA_URL"
alive_or_die "$GH_PID" gatehouse-rule-memory
RM_RPS=$(wrk_rps "$TMP/fa-rule-mem.out")
RM_REQ=$(wrk_requests "$TMP/fa-rule-mem.out")
RM_CPU=$(per_req "$M_CPU_US" "$RM_REQ")
RM_ERR=$(err_cell "$TMP/fa-rule-mem.out")
add_row "forward-auth, API key + 1 rule in memory (core 0, -c64)" "$(fmt_rps "$RM_RPS")" "$(wrk_p99_ms "$TMP/fa-rule-mem.out") ms" \
	"$RM_CPU" "$(ratio "$RM_RPS" "$NGINX_RPS")" "$RM_ERR"
stop_pid "$GH_PID"

# --------------------------------------- 3b: the same rule on Redis
REDIS_PORT=$(free_port)
REDIS_VERSION=$("$REDIS_SERVER" --version | head -n 1)
(cd "$TMP" && exec taskset -c 1 "$REDIS_SERVER" --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no) \
	>"$TMP/redis.log" 2>&1 &
REDIS_PID=$!
PIDS+=("$REDIS_PID")
for ((i = 0; i < 100; i++)); do
	kill -0 "$REDIS_PID" 2>/dev/null || die "redis-server exited: $(tail -n 5 "$TMP/redis.log")"
	[[ $(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]] && break
	sleep 0.1
done
((i < 100)) || die "redis-server did not answer PING within 10 s"
log "redis-server on 127.0.0.1:$REDIS_PORT (pid $REDIS_PID, core 1 with wrk)"
printf '%s\nrate_limits:\n  redis_url: "redis://127.0.0.1:%s"\n%s\n' "$POLICY_YAML" "$REDIS_PORT" "$RULE_YAML" >"$TMP/rule-redis.yaml"
evalsha_calls() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" info commandstats | tr -d '\r' | sed -n 's/^cmdstat_evalsha:calls=\([0-9]*\),.*/\1/p' | grep . || echo 0; }

start_gatehouse "$TMP/rule-redis.yaml" gatehouse-rule-redis
for ((i = 0; i < 50; i++)); do
	READYZ=$(curl -sS --max-time 2 "$GH_URL/readyz" || true)
	[[ $READYZ == *'"ratelimit_redis":"up"'* ]] && break
	sleep 0.1
done
[[ $READYZ == *'"ratelimit_redis":"up"'* ]] || die "gatehouse does not see Redis as up: $READYZ"
E0=$(evalsha_calls)
fa_check "API key, Redis rule" "$KEY_HDR"
E1=$(evalsha_calls)
RR_PRECHECK="curl before the run: HTTP $FA_CODE, RateLimit-Policy: $(fa_header RateLimit-Policy || true), EVALSHA calls for it: $((E1 - E0))"
if [[ $FA_CODE != 200 ]]; then
	log "warning: forward-auth with the Redis rule answered $FA_CODE (body: $(head -c 200 "$TMP/fa.body")); measuring anyway"
	ODD+=("**Redis rule: forward-auth answers HTTP $FA_CODE** instead of 200 ($RR_PRECHECK; body: \`$(head -c 200 "$TMP/fa.body" | tr -d '\n')\`). The Redis scenario below measured those answers.")
fi
R0=$(cpu_ticks "$REDIS_PID")
E0=$(evalsha_calls)
measure "$TMP/fa-rule-redis.out" "forward-auth, API key, Redis rule" "$GH_PID" "$REDIS_PID" -- -c64 -H "$ORIG_HDR" -H "$KEY_HDR" "$FA_URL"
E1=$(evalsha_calls)
R1=$(cpu_ticks "$REDIS_PID")
alive_or_die "$REDIS_PID" redis
if ! kill -0 "$GH_PID" 2>/dev/null; then
	# keep going: the one-million-keys part does not need this instance
	ODD+=("**gatehouse crashed during the Redis-rule run**; last stderr lines: \`$(tail -n 5 "$TMP/gatehouse-rule-redis.log" | tr '\n' ' ')\`")
	log "gatehouse-rule-redis crashed; continuing"
fi
RR_RPS=$(wrk_rps "$TMP/fa-rule-redis.out")
RR_REQ=$(wrk_requests "$TMP/fa-rule-redis.out")
RR_ERR=$(err_cell "$TMP/fa-rule-redis.out")
RR_TOTAL_CPU=$M_CPU_US
RR_REDIS_US=$(((R1 - R0) * 1000000 / CLK_TCK))
RR_GH_US=$((RR_TOTAL_CPU - RR_REDIS_US))
RR_CPU=$(per_req "$RR_GH_US" "$RR_REQ")
# The EVALSHA count spans the warm-up and the measured run (measure() runs
# both): calls per request over both should be 1.
RR_EVALSHA=$((E1 - E0))
WU_REQ=$(wrk_requests "$TMP/warmup.out" 2>/dev/null || echo 0)
RR_CALLS_PER_REQ=$(awk -v c="$RR_EVALSHA" -v n="$((RR_REQ + ${WU_REQ:-0}))" 'BEGIN { if (n > 0) printf "%.2f", c / n; else print "n/a" }')
RR_PER_CORE=$(awk -v n="$RR_REQ" -v us="$RR_GH_US" 'BEGIN { if (us > 0) printf "%.0f", n / (us / 1e6); else print "n/a" }')
RR_REDIS_PER=$(per_req "$RR_REDIS_US" "$RR_REQ")
add_row "forward-auth, API key + 1 rule on Redis (gatehouse core 0; Redis on core 1 with wrk; -c64)" "$(fmt_rps "$RR_RPS")" \
	"$(wrk_p99_ms "$TMP/fa-rule-redis.out") ms" "$RR_CPU (Redis: $RR_REDIS_PER)" "$(ratio "$RR_RPS" "$NGINX_RPS")" "$RR_ERR"
THREAD_NOTES+=("forward-auth, API key, Redis rule: $M_THREADS")
if [[ $(wrk_non2xx "$TMP/fa-rule-redis.out") != 0 ]] && kill -0 "$GH_PID" 2>/dev/null; then
	fa_check "API key, Redis rule (after the run)" "$KEY_HDR"
	ODD+=("Redis rule run: $(wrk_non2xx "$TMP/fa-rule-redis.out") of $RR_REQ answers were not 2xx; a curl after the run got HTTP $FA_CODE.")
fi
stop_pid "$GH_PID"
stop_pid "$REDIS_PID"

# ------------------------------------------ 4: one million keys in SQLite
# gatehouse is stopped: write straight into its database file.
log "generating $N_KEYS API keys (python3 bench/gen-apikeys.py)"
NOW_MS=$(($(date +%s%N) / 1000000))
t0=$EPOCHREALTIME
BENCH_SECRET=$GH_SECRET python3 "$GEN" --count "$N_KEYS" --owner "$OWNER_ID" --created-at "$NOW_MS" \
	--csv "$TMP/keys.csv" --probe "$N_PROBE" --probe-out "$TMP/probe.keys" \
	--fill "$N_FILL" --fill-out "$TMP/fill.keys"
t1=$EPOCHREALTIME
GEN_S=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
log "importing into $GH_DB (sqlite3 .import, then INSERT … SELECT)"
cat >"$TMP/import.sql" <<EOF
.bail on
PRAGMA synchronous=OFF;
PRAGMA cache_size=-262144;
CREATE TEMP TABLE bench_keys(id TEXT, name TEXT, start TEXT, key TEXT, referenceId TEXT, createdAt INTEGER);
.import --csv --skip 1 --schema temp $TMP/keys.csv bench_keys
INSERT INTO apikey (id, name, start, key, referenceId, enabled, rateLimitEnabled, requestCount, createdAt, updatedAt)
  SELECT id, name, start, key, referenceId, 1, 0, 0, createdAt, createdAt FROM temp.bench_keys;
PRAGMA wal_checkpoint(TRUNCATE);
SELECT count(*) FROM apikey;
EOF
t0=$EPOCHREALTIME
N_ROWS=$(sqlite3 "$GH_DB" <"$TMP/import.sql" | tail -n 1)
t1=$EPOCHREALTIME
IMPORT_S=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
DB_MB=$(($(stat -c %s "$GH_DB") / 1048576))
rm -f "$TMP/keys.csv"
log "apikey has $N_ROWS rows (generated in ${GEN_S}s, imported in ${IMPORT_S}s; database ${DB_MB} MiB)"

start_gatehouse "$TMP/plain.yaml" gatehouse-1m
START_1M_MS=$GH_START_MS START_1M_RSS=$GH_RSS_KB
fa_check "API key after the import" "$KEY_HDR"
[[ $FA_CODE == 200 ]] || die "forward-auth with the first API key answered $FA_CODE after the import"
RSS_READY=$(rss_kb "$GH_PID")

probe() { # <out> <label> <probe-keys.js args...>
	local out=$1 label=$2
	shift 2
	node "$PROBE" "$@" >"$out" || die "$label: probe-keys.js failed"
	PROBE_LOG+=("$label|node bench/probe-keys.js $(shell_join "$@")")
}
PROBE_LOG=()

log "first use of $N_PROBE keys, one by one"
probe "$TMP/probe.cold" "first use of $N_PROBE keys (sequential)" 127.0.0.1 "$GH_PORT" "$TMP/probe.keys"
RSS_AFTER_PROBE=$(rss_kb "$GH_PID")
probe "$TMP/probe.warm" "same keys again, cached (sequential)" 127.0.0.1 "$GH_PORT" "$TMP/probe.keys"

log "first use of $N_FILL other keys, 64 connections"
thread_ticks "$GH_PID" >"$TMP/threads.before"
T0=$(cpu_ticks "$GH_PID")
M_LABEL="cache fill"
other_begin
t0=$EPOCHREALTIME
probe "$TMP/fill.out" "first use of $N_FILL keys (64 connections)" -c 64 127.0.0.1 "$GH_PORT" "$TMP/fill.keys"
t1=$EPOCHREALTIME
FILL_WALL=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
T1=$(cpu_ticks "$GH_PID")
other_end "$((T1 - T0))" "$FILL_WALL"
FILL_BG=$M_OTHER
thread_ticks "$GH_PID" >"$TMP/threads.after"
FILL_THREADS=$(thread_share "$TMP/threads.before" "$TMP/threads.after" "$FILL_WALL")
FILL_CPU=$(per_req "$(((T1 - T0) * 1000000 / CLK_TCK))" "$(jnum "$TMP/fill.out" n)")
alive_or_die "$GH_PID" gatehouse-1m
RSS_AFTER_FILL=$(rss_kb "$GH_PID")
# The counters of the keys just used are written in batches every second.
sleep 3
RSS_AFTER_FILL_3S=$(rss_kb "$GH_PID")
PER_KEY_B=$(awk -v a="$RSS_AFTER_PROBE" -v b="$RSS_AFTER_FILL_3S" -v n="$(jnum "$TMP/fill.out" ok)" \
	'BEGIN { if (n > 0) printf "%.0f", (b - a) * 1024 / n; else print "n/a" }')

log "the $N_PROBE probe keys again, with $((N_PROBE + N_FILL)) keys cached"
probe "$TMP/probe.recheck" "probe keys again after the fill (sequential)" 127.0.0.1 "$GH_PORT" "$TMP/probe.keys"

# Throughput over all cached keys: every request a different (cached) key.
export BENCH_KEYS_FILE=$TMP/fill.keys BENCH_ORIGINAL_URI=$ORIG_URI
WRK_ENV_NOTE="BENCH_KEYS_FILE=\$TMP/fill.keys "
measure "$TMP/rotate.out" "forward-auth, $N_FILL cached keys in rotation" "$GH_PID" -- -c64 -s "$KEYS_LUA" "$FA_URL"
alive_or_die "$GH_PID" gatehouse-1m
ROT_RPS=$(wrk_rps "$TMP/rotate.out")
ROT_OTHER=$(lua_val "$TMP/rotate.out" keys_other)
ROT_ERR=$(err_cell "$TMP/rotate.out")
[[ $ROT_OTHER == 0 ]] || ROT_ERR="$ROT_ERR; non-2xx seen by Lua: $ROT_OTHER"
add_row "forward-auth, a different cached key per request ($N_FILL keys in rotation, $N_KEYS in SQLite; core 0, -c64)" \
	"$(fmt_rps "$ROT_RPS")" "$(wrk_p99_ms "$TMP/rotate.out") ms" "$(per_req "$M_CPU_US" "$(wrk_requests "$TMP/rotate.out")")" \
	"$(ratio "$ROT_RPS" "$NGINX_RPS")" "$ROT_ERR"
THREAD_NOTES+=("$N_FILL cached keys in rotation: $M_THREADS")
WRK_ENV_NOTE=
sleep 2
RSS_BEFORE_BAD=$(rss_kb "$GH_PID")

log "$N_FILL random never-issued keys, 64 connections"
probe "$TMP/bad.out" "$N_FILL random never-issued keys (64 connections)" -c 64 127.0.0.1 "$GH_PORT" "random:$N_FILL"
alive_or_die "$GH_PID" gatehouse-1m
sleep 1
RSS_AFTER_BAD=$(rss_kb "$GH_PID")
PER_BAD_B=$(awk -v a="$RSS_BEFORE_BAD" -v b="$RSS_AFTER_BAD" -v n="$(jnum "$TMP/bad.out" n)" \
	'BEGIN { if (n > 0) printf "%.0f", (b - a) * 1024 / n; else print "n/a" }')
fa_check "API key at the end" "$KEY_HDR"
[[ $FA_CODE == 200 ]] || ODD+=("After the 1M-key scenarios, forward-auth with the bench key answered $FA_CODE.")
stop_pid "$GH_PID"

# ------------------------------------------------------------- report
ge() { awk -v a="$1" -v b="$2" 'BEGIN { print (a != "" && a != "?" && a + 0 >= b + 0) }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { print (a != "" && a != "?" && a + 0 <= b + 0) }'; }
clean() { [[ $1 == 0 ]] && echo 1 || echo 0; }
both() { awk -v a="$1" -v b="$2" 'BEGIN { print (a && b) }'; }
errnote() { [[ $1 == 0 ]] || echo " — errors: $1"; }

FK_RATIO=$(awk -v a="$FK_RPS" -v b="$NGINX_RPS" 'BEGIN { printf "%.2f", a / b }')
FS_RATIO=$(awk -v a="$FS_RPS" -v b="$NGINX_RPS" 'BEGIN { printf "%.2f", a / b }')
G1A=$(verdict "$(both "$(ge "$FK_RATIO" 0.8)" "$(clean "$FK_ERR")")")
G1B=$(verdict "$(both "$(le "$FK_P99" 1.0)" "$(clean "$FK_ERR")")")
G2A=$(verdict "$(both "$(ge "$FS_RATIO" 0.8)" "$(clean "$FS_ERR")")")
G2B=$(verdict "$(both "$(le "$FS_P99" 1.0)" "$(clean "$FS_ERR")")")
RM_KEEP=$(awk -v a="$RM_RPS" -v b="$FK_RPS" 'BEGIN { printf "%.3f", a / b }')
RM_LOSS_PCT=$(awk -v k="$RM_KEEP" 'BEGIN { printf "%.1f", 100 * (1 - k) }')
RM_OVER_CPU=$(awk -v a="$RM_CPU" -v b="$FK_CPU" 'BEGIN { printf "%+.2f", a - b }')
RM_OVER_WALL=$(awk -v a="$RM_RPS" -v b="$FK_RPS" 'BEGIN { printf "%+.2f", 1e6 / a - 1e6 / b }')
RR_OVER_CPU=$(awk -v a="$RR_CPU" -v b="$FK_CPU" 'BEGIN { printf "%+.2f", a - b }')
RR_OVER_WALL=$(awk -v a="$RR_RPS" -v b="$FK_RPS" 'BEGIN { printf "%+.2f", 1e6 / a - 1e6 / b }')
G3A=$(verdict "$(both "$(ge "$RM_KEEP" 0.9)" "$(clean "$RM_ERR")")")
G3B=$(verdict "$(both "$(ge "$RR_PER_CORE" 50000)" "$(clean "$RR_ERR")")")

TABLE=$(results_table)
GOALS=$(
	echo "- 1. forward-auth with an API key ≥ 0.8× nginx req/s: **$G1A** (${FK_RATIO}×$(errnote "$FK_ERR")); p99 ≤ 1 ms at 64 connections: **$G1B** ($FK_P99 ms); CPU $FK_CPU µs/req"
	echo "- 2. forward-auth with a session cookie ≥ 0.8× nginx req/s: **$G2A** (${FS_RATIO}×$(errnote "$FS_ERR")); p99 ≤ 1 ms: **$G2B** ($FS_P99 ms); CPU $FS_CPU µs/req"
	echo "- 3a. one in-memory rate-limit rule costs ≤ 10 % of req/s: **$G3A** (keeps ${RM_KEEP}× of the no-rule req/s, i.e. −${RM_LOSS_PCT} %$(errnote "$RM_ERR")); overhead $RM_OVER_CPU µs CPU/req, $RM_OVER_WALL µs of wall time per request on the saturated core; $(ratio "$RM_RPS" "$NGINX_RPS") nginx"
	echo "- 3b. the rule on Redis ≥ 50,000 checks/s per gatehouse core: **$G3B** ($RR_PER_CORE requests per gatehouse CPU-second$(errnote "$RR_ERR")); overhead vs. no rule $RR_OVER_CPU µs gatehouse CPU/req, $RR_OVER_WALL µs wall/req; $(ratio "$RR_RPS" "$NGINX_RPS") nginx; Redis itself $RR_REDIS_PER µs CPU per request; EVALSHA calls per request (warm-up + run): $RR_CALLS_PER_REQ"
)

P_COLD=$TMP/probe.cold P_WARM=$TMP/probe.warm P_RE=$TMP/probe.recheck
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }
KEYTABLE=$(
	echo "| measurement | result | how |"
	echo "|---|---|---|"
	echo "| keys written into SQLite | $N_ROWS rows in \`apikey\`; generated in ${GEN_S} s, imported in ${IMPORT_S} s; database file ${DB_MB} MiB | \`python3 bench/gen-apikeys.py\` (CSV, HMAC as gatehouse computes it), \`sqlite3 .import\` into a temp table + \`INSERT … SELECT\`, gatehouse stopped |"
	echo "| start-up to /healthz answering | **${START_1M_MS} ms** with $N_ROWS keys (restart on the database with 1 key: ${START_SMALL_MS} ms; very first start, which creates the schema and hashes the bootstrap admin's password: ${START_EMPTY_MS} ms) | fork → first \`200\` from GET /healthz, polled on fresh connections with no pause |"
	echo "| RSS after start | **$(mib "$START_1M_RSS")** with $N_ROWS keys ($(mib "$START_SMALL_RSS") with 1 key) | VmRSS from /proc/<pid>/status when /healthz first answered |"
	echo "| first use of a key (not cached), sequential | median $(jnum "$P_COLD" median_ms) ms, p90 $(jnum "$P_COLD" p90_ms) ms, p99 $(jnum "$P_COLD" p99_ms) ms, max $(jnum "$P_COLD" max_ms) ms; statuses: $(jstatuses "$P_COLD") | $N_PROBE random keys of the $N_ROWS, one keep-alive connection, one request at a time (client: node, core 1); with $N_PROBE samples p99 is the $(awk -v n="$N_PROBE" 'BEGIN { k = n - int(0.99 * n + 0.999999) + 1; m = k % 100; sf = (m >= 11 && m <= 13) ? "th" : (k % 10 == 1 ? "st" : k % 10 == 2 ? "nd" : k % 10 == 3 ? "rd" : "th"); print (k == 1 ? "slowest" : k sf "-slowest") }') value |"
	echo "| same keys again (cached), sequential | median $(jnum "$P_WARM" median_ms) ms, p90 $(jnum "$P_WARM" p90_ms) ms, p99 $(jnum "$P_WARM" p99_ms) ms, max $(jnum "$P_WARM" max_ms) ms; statuses: $(jstatuses "$P_WARM") | same client, right after |"
	echo "| first use of $N_FILL keys, 64 connections | $(jnum "$TMP/fill.out" rps) keys/s, p99 $(jnum "$TMP/fill.out" p99_ms) ms, max $(jnum "$TMP/fill.out" max_ms) ms; $FILL_CPU µs gatehouse CPU per key; statuses: $(jstatuses "$TMP/fill.out"); threads: $FILL_THREADS; background $FILL_BG | each key once (client: node -c 64, core 1; when the HTTP thread is well below 100 % the rate is the client's limit, the CPU per key is the figure) |"
	echo "| RSS: ready → after $N_PROBE probes → after $N_FILL more keys (+3 s) | $(mib "$RSS_READY") → $(mib "$RSS_AFTER_PROBE") → $(mib "$RSS_AFTER_FILL") ($(mib "$RSS_AFTER_FILL_3S")) | VmRSS |"
	echo "| memory per cached key | **≈ $PER_KEY_B bytes** (RSS growth over the fill ÷ keys verified); at that rate $N_ROWS cached keys ≈ $(awk -v b="$PER_KEY_B" -v n="$N_ROWS" 'BEGIN { printf "%.0f MiB", b * n / 1048576 }') | includes malloc overhead and SQLite page cache growth |"
	echo "| probe keys again with $((N_PROBE + N_FILL)) keys cached, sequential | median $(jnum "$P_RE" median_ms) ms, p90 $(jnum "$P_RE" p90_ms) ms, p99 $(jnum "$P_RE" p99_ms) ms, max $(jnum "$P_RE" max_ms) ms; statuses: $(jstatuses "$P_RE") | same client as the first use |"
	echo "| $N_FILL random never-issued keys, 64 connections | $(jnum "$TMP/bad.out" rps) req/s, p99 $(jnum "$TMP/bad.out" p99_ms) ms; statuses: $(jstatuses "$TMP/bad.out"); RSS $(mib "$RSS_BEFORE_BAD") → $(mib "$RSS_AFTER_BAD") (**≈ $PER_BAD_B bytes per unknown key**) | each one gets a negative cache entry; RSS after the run |"
)

# Server stderr: anything beyond the start-up banner and the bootstrap
# admin credentials (never copied); the MHD thread-pool notice is counted.
server_stderr() {
	local f
	for f in "$TMP"/gatehouse*.log; do
		[[ -f $f ]] || continue
		grep -v -e 'bootstrap admin' -e 'email: ' -e 'password: ' -e 'This password is shown' -e 'listening on ' \
			-e 'specified for thread pool size, is ignored' "$f" |
			sed "s|^|$(basename "$f" .log): |" || true
	done
}
STDERR_LINES=$(server_stderr | head -n 40)
POOL_NOTICES=$(cat "$TMP"/gatehouse*.log | grep -c 'specified for thread pool size, is ignored' || true)

collect_versions

REPORT=$(
	echo "## Forward-auth run $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo
	report_machine
	echo "$(report_versions); Redis: \`$REDIS_VERSION\`; node \`$(node --version)\`; \`$(python3 --version 2>&1)\`; sqlite3 \`$(sqlite3 --version | cut -d' ' -f1)\`"
	echo "- gatehouse settings: \`$GH_ENV_TEXT\`, SQLite, cookie cache off; config \`$(tr '\n' ' ' <"$TMP/plain.yaml" | tr -s ' ')\`; rule runs add \`$(tr '\n' ' ' <"$TMP/rule-memory.yaml" | sed 's/^.*rate_limits:/rate_limits:/' | tr -s ' ')\` (Redis run: plus \`redis_url: redis://127.0.0.1:<port>\`)"
	echo "- Redis: \`$(shell_join "$REDIS_SERVER" --port "<port>" --bind 127.0.0.1 --save "''" --appendonly no)\`, pinned with \`taskset -c 1\`, i.e. **on the same core as wrk**"
	echo "- requests: \`GET /api/authz/auth-request\` with \`$ORIG_HDR\` and \`X-API-Key: <key>\` (key from \`POST /api/auth/api-key/create {\"name\":\"bench\"}\`) or \`Cookie: better-auth.session_token=<token>\` (from sign-up); gatehouse restarted on the same database for each configuration"
	echo "- command: \`$COMMAND_LINE\` (BENCH_DURATION=$DURATION, BENCH_WARMUP=$WARMUP, BENCH_KEYS=$N_KEYS, BENCH_PROBE_KEYS=$N_PROBE, BENCH_FILL_KEYS=$N_FILL; each measured wrk run preceded by a ${WARMUP}s warm-up with the same arguments)"
	echo
	echo "$TABLE"
	echo
	echo "$GOALS"
	echo
	echo "One million keys:"
	echo
	echo "$KEYTABLE"
	if ((${#ODD[@]})); then
		echo
		echo "**Odd things seen in this run:**"
		echo
		for o in "${ODD[@]}"; do echo "- $o"; done
	fi
	report_noisy
	echo
	echo "Background CPU = CPU used on the machine (user+nice+system+irq+softirq, all cores) during the"
	echo "measured run that did not come from the servers, Redis, wrk, node or this script, as % of one"
	echo "core; steal per measured run: $(printf '%s; ' "${OTHER_LOG[@]}")"
	echo
	echo "Gatehouse threads with ≥ 3 % of its CPU (share of one core over the run): $(printf '%s; ' "${THREAD_NOTES[@]}")"
	echo
	echo "Start-ups: $(printf '%s; ' "${STARTS[@]}")"
	echo
	echo "Commands (measured runs; the key plaintexts come from \$TMP, the temp dir):"
	echo
	for w in "${WRK_LOG[@]}" "${PROBE_LOG[@]}"; do echo "- ${w%%|*}: \`${w#*|}\`"; done
	echo
	echo "Server stderr (start-up banner, bootstrap credentials and $POOL_NOTICES MHD \"thread pool size is ignored\" notices omitted):"
	report_stderr "$STDERR_LINES"
)

echo
echo "$REPORT"

if [[ $RESULTS != /dev/null ]]; then
	{ echo "$REPORT"; echo; } >>"$RESULTS"
	log "results appended to $RESULTS"
fi
