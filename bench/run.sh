#!/usr/bin/env bash
# bench/run.sh — gatehouse performance bench against nginx `return 200`, in
# one run, on one machine. See bench/README.md for what each figure means.
#
# Usage: bench/run.sh            (from anywhere; needs build/gatehouse)
# Environment (all optional):
#   GATEHOUSE_BIN       gatehouse binary (default: <repo>/build/gatehouse)
#   BENCH_DURATION      measured seconds per scenario (default 10)
#   BENCH_WARMUP        warm-up seconds before each measurement (default 2)
#   BENCH_RESULTS       file the results are appended to (default bench/RESULTS.md;
#                       set to /dev/null to not record)
#   BENCH_FLOOD_RUNS    repetitions of the sign-in-flood scenario (default 3;
#                       its p99 swings from run to run, the median is judged)
#   BENCH_KEEP_TMP=1    keep the temporary directory (logs, wrk outputs)
#
# Everything listens on 127.0.0.1 only. Servers are pinned to core 0 (core 0
# and 1 in the sign-in-flood scenario), wrk to core 1. Every process started
# here is stopped by PID on exit.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
BIN=${GATEHOUSE_BIN:-$ROOT/build/gatehouse}
DURATION=${BENCH_DURATION:-10}
WARMUP=${BENCH_WARMUP:-2}
FLOOD_RUNS=${BENCH_FLOOD_RUNS:-3}
RESULTS=${BENCH_RESULTS:-$BENCH_DIR/RESULTS.md}
LUA=$BENCH_DIR/signin.lua
COMMAND_LINE="$0${*:+ $*}"

EMAIL=bench@example.com
PASSWORD='a-long-bench-password-1'
SIGNUP_BODY="{\"name\":\"Bench\",\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}"

log() { printf 'bench: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

for tool in wrk nginx taskset curl getconf awk; do
	command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed"
done
[[ -x $BIN ]] || die "$BIN not found; build first: meson setup build && ninja -C build"
[[ -r $LUA ]] || die "$LUA missing"
[[ $DURATION =~ ^[0-9]+$ && $DURATION -ge 1 ]] || die "BENCH_DURATION must be a positive integer"
[[ $WARMUP =~ ^[0-9]+$ ]] || die "BENCH_WARMUP must be a non-negative integer"
[[ $FLOOD_RUNS =~ ^[0-9]+$ && $FLOOD_RUNS -ge 1 ]] || die "BENCH_FLOOD_RUNS must be a positive integer"
NCPU=$(getconf _NPROCESSORS_ONLN)
((NCPU >= 2)) || die "need at least 2 cores (have $NCPU)"

CLK_TCK=$(getconf CLK_TCK)
LOADAVG_START=$(cut -d' ' -f1-3 /proc/loadavg)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-bench.XXXXXX")
PIDS=()
# Run a private copy, so that a rebuild of build/gatehouse during the bench
# (other people work in this tree) cannot mix two binaries in one report.
BIN_RUN=$TMP/gatehouse
cp "$BIN" "$BIN_RUN"
BIN_SHA=$(sha256sum "$BIN_RUN" | cut -c1-12)
BIN_MTIME=$(date -u -r "$BIN" '+%Y-%m-%d %H:%M:%S UTC')
GIT_REV=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
GIT_DIRTY=$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo " + uncommitted changes" || true)

cleanup() {
	local rc=$? pid i
	trap - EXIT INT TERM
	for pid in "${PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		for ((i = 0; i < 50; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	if [[ ${BENCH_KEEP_TMP:-0} == 1 ]]; then
		log "temporary files kept in $TMP"
	else
		rm -rf "$TMP"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

forget_pid() { # removes $1 from PIDS
	local keep=() p
	for p in "${PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
	PIDS=("${keep[@]}")
}

stop_pid() { # TERM, wait up to 5 s, KILL
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	forget_pid "$pid"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {
	local p i
	for ((i = 0; i < 200; i++)); do
		p=$((20000 + RANDOM % 40000))
		port_in_use "$p" || { echo "$p"; return 0; }
	done
	die "no free port found"
}

wait_http() { # url pid label
	local i
	for ((i = 0; i < 100; i++)); do
		kill -0 "$2" 2>/dev/null || die "$3 exited during start-up (see log below)"$'\n'"$(tail -n 20 "$TMP/$3.log" 2>/dev/null)"
		curl -fsS -o /dev/null --max-time 1 "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	die "$3 did not answer $1 within 10 s"
}

# CPU time (user+system, all threads) of a process, in clock ticks.
cpu_ticks() {
	local line rest
	read -r line <"/proc/$1/stat"
	rest=${line##*) } # fields from 3 (state) on; comm may contain spaces
	# shellcheck disable=SC2086
	set -- $rest
	echo $((${12} + ${13})) # fields 14 (utime) and 15 (stime)
}

# utime+stime+cutime+cstime of a live process (its reaped children included);
# 0 if it is gone.
proc_ticks_all() {
	local line rest
	read -r line <"/proc/$1/stat" 2>/dev/null || { echo 0; return; }
	rest=${line##*) }
	# shellcheck disable=SC2086
	set -- $rest
	echo $((${12} + ${13} + ${14} + ${15}))
}

# Background load: CPU the machine spent in user+nice+system (/proc/stat,
# all CPUs) during a measured run, minus what the bench itself used (the
# server, and wrk and helpers, which are this shell's reaped children:
# cutime+cstime of $$). Interrupt time is left out: loopback networking is
# charged there. Also reports steal (time the hypervisor took away).
sys_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $9 }' /proc/stat; }
self_child_ticks() {
	local line rest
	read -r line <"/proc/$$/stat"
	rest=${line##*) }
	# shellcheck disable=SC2086
	set -- $rest
	echo $((${14} + ${15}))
}
other_begin() { read -r OB_SYS OB_STEAL < <(sys_ticks); OB_CHILD=$(self_child_ticks); }
other_end() { # <ticks used by our own live processes during the window> <seconds>
	local sys steal child
	child=$(self_child_ticks)
	read -r sys steal < <(sys_ticks)
	M_OTHER=$(awk -v t="$((sys - OB_SYS - (child - OB_CHILD) - $1))" -v hz="$CLK_TCK" -v d="$2" \
		'BEGIN { v = 100 * t / hz / d; if (v < 0) v = 0; printf "%.0f%%", v }')
	M_STEAL=$(awk -v t="$((steal - OB_STEAL))" -v hz="$CLK_TCK" -v d="$2" 'BEGIN { printf "%.0f%%", 100 * t / hz / d }')
	OTHER_LOG+=("$M_LABEL: background ${M_OTHER}, steal ${M_STEAL}")
	if awk -v v="${M_OTHER%\%}" -v s="${M_STEAL%\%}" 'BEGIN { exit !(v + 0 > 5 || s + 0 > 5) }'; then
		NOISY+=("$M_LABEL (background ${M_OTHER} of a core, steal ${M_STEAL})")
	fi
}
OTHER_LOG=() NOISY=()

# Before anything starts: how busy is the machine already (2 s sample)?
read -r PRE_SYS _ < <(sys_ticks)
sleep 2
read -r POST_SYS _ < <(sys_ticks)
IDLE_CHECK=$(awk -v t="$((POST_SYS - PRE_SYS))" -v hz="$CLK_TCK" 'BEGIN { printf "%.0f%%", 100 * t / hz / 2 }')
if awk -v v="${IDLE_CHECK%\%}" 'BEGIN { exit !(v + 0 > 5) }'; then
	log "warning: the machine is already busy (${IDLE_CHECK} of a core in use before the bench); figures will be noisy"
	NOISY+=("before the start (${IDLE_CHECK} of a core already in use)")
fi

cpu_ticks_sum() { local t=0 p; for p in "$@"; do t=$((t + $(cpu_ticks "$p"))); done; echo "$t"; }

# Converts a wrk duration (e.g. 812.00us, 1.23ms, 2.01s, 1.50m) to ms.
to_ms() {
	awk -v v="$1" 'BEGIN {
		n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
		if (u == "us") n /= 1000; else if (u == "ms") n = n; else if (u == "s") n *= 1000;
		else if (u == "m") n *= 60000; else if (u == "h") n *= 3600000; else n = -1
		printf "%.3f", n }'
}

# Field extraction from a wrk --latency output file.
wrk_rps() { awk '/^Requests\/sec:/ {print $2}' "$1"; }
wrk_requests() { awk '/ requests in / {print $1}' "$1"; }
wrk_seconds() { local d; d=$(awk '/ requests in / {sub(/,$/, "", $4); print $4}' "$1"); awk -v m="$(to_ms "$d")" 'BEGIN {printf "%.3f", m / 1000}'; }
wrk_p99_ms() { local v; v=$(awk '$1 == "99%" {print $2}' "$1"); [[ -n $v ]] && to_ms "$v" || echo "?"; }
wrk_non2xx() { awk '/Non-2xx or 3xx responses:/ {print $NF; f = 1} END {if (!f) print 0}' "$1"; }
wrk_sockerr() { awk -F': ' '/Socket errors:/ {print $2; f = 1} END {if (!f) print "none"}' "$1"; }
lua_val() { awk -v k="$2" '$1 == k {print $2; f = 1} END {if (!f) print 0}' "$1"; }
lua_codes() { awk '$1 == "signin_status" {printf "%s%s×%s", s, $3, $2; s = ", "} END {if (!s) printf "none"}' "$1"; }

WRK_LOG=() # "label|command" of every measured wrk run, for RESULTS.md

# Joins arguments into a readable shell command line for the report: the
# session token is replaced by <token>, the Lua script path made relative,
# arguments with spaces single-quoted.
shell_join() {
	local a words=()
	for a in "$@"; do
		[[ -n ${COOKIE:-} ]] && a=${a//"$COOKIE"/<token>}
		a=${a//"$BENCH_DIR"/bench}
		if [[ $a == *[[:space:]]* ]]; then words+=("'$a'"); else words+=("$a"); fi
	done
	echo "${words[*]}"
}

# run_wrk <out-file> <duration> <wrk args...>: wrk pinned to core 1.
run_wrk() {
	local out=$1 d=$2
	shift 2
	taskset -c 1 wrk -t1 -d"${d}s" --latency "$@" >"$out" 2>&1 || {
		cat "$out" >&2
		die "wrk failed: wrk -t1 -d${d}s --latency $*"
	}
}

warmup() { # <wrk args...>
	((WARMUP > 0)) || return 0
	run_wrk "$TMP/warmup.out" "$WARMUP" "$@"
}

alive_or_die() { # pid label
	kill -0 "$1" 2>/dev/null && return 0
	log "$2 (pid $1) is gone; last lines of its stderr:"
	tail -n 30 "$TMP/$2.log" >&2 || true
	die "$2 crashed during the bench"
}

# ---------------------------------------------------------------- nginx
NGINX_PORT=$(free_port)
mkdir -p "$TMP/nginx"
cat >"$TMP/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $TMP/nginx/body;
    proxy_temp_path $TMP/nginx/proxy;
    fastcgi_temp_path $TMP/nginx/fastcgi;
    uwsgi_temp_path $TMP/nginx/uwsgi;
    scgi_temp_path $TMP/nginx/scgi;
    # wrk keeps its connections open; nginx's default (1000) would make it
    # reconnect every 1000 requests, which gatehouse does not do.
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        location / { return 200 "ok"; }
    }
}
EOF
taskset -c 0 nginx -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/error.log" \
	>"$TMP/nginx.log" 2>&1 &
NGINX_PID=$!
PIDS+=("$NGINX_PID")
NGINX_URL=http://127.0.0.1:$NGINX_PORT/
wait_http "$NGINX_URL" "$NGINX_PID" nginx
# The worker does the work; count the master too (it is idle).
NGINX_PROCS=("$NGINX_PID")
for child in $(cat "/proc/$NGINX_PID/task/$NGINX_PID/children" 2>/dev/null); do NGINX_PROCS+=("$child"); done
log "nginx on $NGINX_URL (pids ${NGINX_PROCS[*]}, core 0)"

# ------------------------------------------------------------ gatehouse
GH_DATA=$TMP/gatehouse-data
mkdir -p "$GH_DATA"
GH_SECRET=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
[[ ${#GH_SECRET} -eq 64 ]] || die "could not generate a secret"

# Better-Auth's default per-IP limits on /api/auth (get-session 100 per 10 s,
# sign-in 3 per 10 s) would turn a load test from one address into 429s. The
# bench measures throughput, so it switches those defaults off; the rate
# limiter itself stays enabled (no rules match), so its per-request check is
# still paid. Builds without the setting reject unknown variables: probe.
EXTRA_ENV=()
RATE_LIMIT_NOTE="(this build has no rate_limits.auth_defaults setting)"
if GATEHOUSE_DATA_DIR=$GH_DATA GATEHOUSE_SECRET=$GH_SECRET GATEHOUSE_AUTH_RATE_LIMITS=false \
	"$BIN_RUN" config check >/dev/null 2>&1; then
	EXTRA_ENV+=(GATEHOUSE_AUTH_RATE_LIMITS=false)
	RATE_LIMIT_NOTE="GATEHOUSE_AUTH_RATE_LIMITS=false (Better-Auth's per-IP /api/auth limits off; limiter on, no rules)"
fi

# start_gatehouse <cpu-list> <label>: sets GH_PID, GH_URL.
start_gatehouse() {
	local cpus=$1 label=$2 port
	port=$(free_port)
	GATEHOUSE_LISTEN=127.0.0.1:$port \
		GATEHOUSE_DATA_DIR=$GH_DATA \
		GATEHOUSE_SECRET=$GH_SECRET \
		GATEHOUSE_HTTP_THREADS=1 \
		GATEHOUSE_WORKERS=1 \
		GATEHOUSE_LOG_LEVEL=warn \
		env ${EXTRA_ENV[@]+"${EXTRA_ENV[@]}"} \
		taskset -c "$cpus" "$BIN_RUN" serve >"$TMP/$label.log" 2>&1 &
	GH_PID=$!
	PIDS+=("$GH_PID")
	GH_URL=http://127.0.0.1:$port
	wait_http "$GH_URL/healthz" "$GH_PID" "$label"
	log "gatehouse on $GH_URL (pid $GH_PID, cores $cpus)"
}

start_gatehouse 0 gatehouse
GH1_PID=$GH_PID

# ------------------------------------------------------ sign up, cookie
curl -sS --max-time 30 -D "$TMP/signup.headers" -o "$TMP/signup.body" \
	-H 'Content-Type: application/json' --data "$SIGNUP_BODY" \
	-w '%{http_code}' "$GH_URL/api/auth/sign-up/email" >"$TMP/signup.code"
[[ $(cat "$TMP/signup.code") == 200 ]] || die "sign-up returned $(cat "$TMP/signup.code"): $(cat "$TMP/signup.body")"
COOKIE=$(tr -d '\r' <"$TMP/signup.headers" |
	sed -n 's/^[Ss]et-[Cc]ookie: *better-auth\.session_token=\([^;]*\).*/\1/p' | head -n 1)
[[ -n $COOKIE ]] || die "no better-auth.session_token cookie in the sign-up response"
COOKIE_HDR="Cookie: better-auth.session_token=$COOKIE"

check_session() {
	local body
	local code
	code=$(curl -sS --max-time 10 -o "$TMP/check.body" -w '%{http_code}' -H "$COOKIE_HDR" "$GH_URL/api/auth/get-session") ||
		die "get-session with the bench cookie failed (curl error)"
	body=$(cat "$TMP/check.body")
	[[ $code == 200 ]] || die "get-session with the bench cookie answered $code: $body"
	[[ $body == *'"session"'* ]] || die "get-session did not return a session: $body"
}
check_session
log "signed up $EMAIL; get-session returns a session"

# Results: one row per scenario. Arrays indexed by row.
R_NAME=() R_RPS=() R_P99=() R_CPU=() R_RATIO=() R_ERR=() R_BG=()
add_row() { R_NAME+=("$1"); R_RPS+=("$2"); R_P99+=("$3"); R_CPU+=("$4"); R_RATIO+=("$5"); R_ERR+=("$6"); R_BG+=("${7:-$M_OTHER}"); }

# measure <out> <label> <pids-for-cpu...> -- <wrk args>: warm-up, then the
# measured run with CPU accounting. Sets M_CPU_US (server CPU µs in total).
measure() {
	local out=$1 label=$2 pids=() t0 t1
	shift 2
	while [[ $1 != -- ]]; do pids+=("$1"); shift; done
	shift
	log "$label: warm-up ${WARMUP}s"
	warmup "$@"
	log "$label: measuring ${DURATION}s"
	M_LABEL=$label
	other_begin
	t0=$(cpu_ticks_sum "${pids[@]}")
	run_wrk "$out" "$DURATION" "$@"
	t1=$(cpu_ticks_sum "${pids[@]}")
	other_end "$((t1 - t0))" "$DURATION"
	M_CPU_US=$(((t1 - t0) * 1000000 / CLK_TCK))
	WRK_LOG+=("$label|taskset -c 1 wrk -t1 -d${DURATION}s --latency $(shell_join "$@")")
}

per_req() { awk -v c="$1" -v n="$2" 'BEGIN { if (n > 0) printf "%.1f", c / n; else printf "n/a" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f×", a / b; else printf "n/a" }'; }
fmt_rps() { awk -v r="$1" 'BEGIN { printf "%.0f", r }'; }
err_cell() { # <wrk out>
	local n s
	n=$(wrk_non2xx "$1")
	s=$(wrk_sockerr "$1")
	if [[ $n == 0 && $s == none ]]; then echo "0"; else echo "non-2xx: $n; socket errors: $s"; fi
}

# ------------------------------------------- 4a: nginx GET / (-c64)
measure "$TMP/nginx.out" "nginx GET /" "${NGINX_PROCS[@]}" -- -c64 "$NGINX_URL"
alive_or_die "$NGINX_PID" nginx
NGINX_RPS=$(wrk_rps "$TMP/nginx.out")
add_row "nginx \`return 200\` GET / (core 0, -c64)" "$(fmt_rps "$NGINX_RPS")" "$(wrk_p99_ms "$TMP/nginx.out") ms" \
	"$(per_req "$M_CPU_US" "$(wrk_requests "$TMP/nginx.out")")" "1.00×" "$(err_cell "$TMP/nginx.out")"

# ------------------------------ 4b: gatehouse get-session (-c64)
measure "$TMP/getsession.out" "gatehouse get-session" "$GH_PID" -- -c64 -H "$COOKIE_HDR" "$GH_URL/api/auth/get-session"
alive_or_die "$GH_PID" gatehouse
GS_RPS=$(wrk_rps "$TMP/getsession.out")
GS_RATIO=$(ratio "$GS_RPS" "$NGINX_RPS")
GS_P99=$(wrk_p99_ms "$TMP/getsession.out")
add_row "gatehouse GET /api/auth/get-session (core 0, -c64)" "$(fmt_rps "$GS_RPS")" "$GS_P99 ms" \
	"$(per_req "$M_CPU_US" "$(wrk_requests "$TMP/getsession.out")")" "$GS_RATIO" "$(err_cell "$TMP/getsession.out")"
check_session

# ----------------------------- 5: sign-ins/s, one hashing worker (-c4)
measure "$TMP/signin.out" "gatehouse sign-in" "$GH_PID" -- -c4 -s "$LUA" "$GH_URL/api/auth/sign-in/email"
alive_or_die "$GH_PID" gatehouse
SI_OK=$(lua_val "$TMP/signin.out" signin_ok)
SI_OTHER=$(lua_val "$TMP/signin.out" signin_other)
SI_SECS=$(wrk_seconds "$TMP/signin.out")
SI_RATE=$(awk -v n="$SI_OK" -v s="$SI_SECS" 'BEGIN { printf "%.1f", (s > 0 ? n / s : 0) }')
SI_ERR="$(err_cell "$TMP/signin.out"); non-200 seen by Lua: $SI_OTHER ($(lua_codes "$TMP/signin.out"))"
add_row "gatehouse POST sign-in/email, argon2id m=19456 t=2 (core 0, 1 worker, -c4; req/s = 200s only; CPU per 200)" \
	"$SI_RATE" "$(wrk_p99_ms "$TMP/signin.out") ms" "$(per_req "$M_CPU_US" "$SI_OK")" "—" "$SI_ERR"

# ------------- 6: get-session p99 during a sign-in flood, gatehouse on 0,1
stop_pid "$GH1_PID"
start_gatehouse 0,1 gatehouse-flood
check_session

# Reference: same pinning, no flood (-c16).
measure "$TMP/gs16.out" "get-session, cores 0,1, no flood" "$GH_PID" -- -c16 -H "$COOKIE_HDR" "$GH_URL/api/auth/get-session"
alive_or_die "$GH_PID" gatehouse-flood
GS16_RPS=$(wrk_rps "$TMP/gs16.out")
add_row "reference: get-session, no flood (gatehouse cores 0,1; -c16)" "$(fmt_rps "$GS16_RPS")" "$(wrk_p99_ms "$TMP/gs16.out") ms" \
	"$(per_req "$M_CPU_US" "$(wrk_requests "$TMP/gs16.out")")" "$(ratio "$GS16_RPS" "$NGINX_RPS")" "$(err_cell "$TMP/gs16.out")"

FLOOD_SECS=$((WARMUP + DURATION + 2))

# Samples every thread of a process (TID, name, CPU it last ran on, CPU
# ticks) every 0.2 s until the stop file exists. Pinned to core 1, next to
# wrk, so core 0 stays as it was.
sample_threads() { # pid out stopfile
	local pid=$1 out=$2 stop=$3 t line rest comm
	taskset -cp 1 "$BASHPID" >/dev/null 2>&1 || true
	while [[ ! -e $stop ]]; do
		for t in /proc/"$pid"/task/*; do
			{ read -r line <"$t/stat" && read -r comm <"$t/comm"; } 2>/dev/null || continue
			rest=${line##*) }
			# shellcheck disable=SC2086
			set -- $rest
			printf '%s %s %s %s %s\n' "${EPOCHREALTIME/,/.}" "${t##*/}" "${comm// /_}" "${37}" "$((${12} + ${13}))"
		done >>"$out"
		sleep 0.2
	done
}

# One line per busy thread: "name(tid): NN% CPU, on core X in P% of samples".
summarise_threads() { # sample file
	awk -v hz="$CLK_TCK" '
	{ id = $2; name[id] = $3; n[id]++; on[id, $4]++; seen[$4] = 1
	  if (!(id in t0)) { t0[id] = $1; k0[id] = $5 } t1[id] = $1; k1[id] = $5 }
	END {
		for (id in n) {
			el = t1[id] - t0[id]; pct = el > 0 ? 100 * (k1[id] - k0[id]) / hz / el : 0
			if (pct < 5) continue
			best = ""; bn = -1
			for (c in seen) if (on[id, c] > bn) { bn = on[id, c]; best = c }
			printf "%s%s(%s): %.0f%% CPU, on core %s in %.0f%% of samples", sep, name[id], id, pct, best, 100 * bn / n[id]
			sep = "; "
		}
	}' "$1"
}

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

FL_BG=() FL_P99S=() FL_RPSS=() FL_TICKS=0 FL_OK=0 FL_OTHER=0 FL_SECS_SUM=0 FL_ERRS="" FL_DETAIL=()
for ((r = 1; r <= FLOOD_RUNS; r++)); do
	log "sign-in flood $r/$FLOOD_RUNS: wrk -c8 for ${FLOOD_SECS}s in the background; get-session -c16 after ${WARMUP}s"
	taskset -c 1 wrk -t1 -c8 -d"${FLOOD_SECS}s" --latency -s "$LUA" "$GH_URL/api/auth/sign-in/email" \
		>"$TMP/flood.$r.out" 2>&1 &
	FLOOD_PID=$!
	PIDS+=("$FLOOD_PID")
	sleep "$WARMUP"
	rm -f "$TMP/sampler.stop"
	sample_threads "$GH_PID" "$TMP/threads.$r" "$TMP/sampler.stop" &
	SAMPLER_PID=$!
	PIDS+=("$SAMPLER_PID")
	M_LABEL="flood run $r"
	other_begin
	F0=$(proc_ticks_all "$FLOOD_PID")
	S0=$(proc_ticks_all "$SAMPLER_PID")
	T0=$(cpu_ticks "$GH_PID")
	run_wrk "$TMP/floodgs.$r.out" "$DURATION" -c16 -H "$COOKIE_HDR" "$GH_URL/api/auth/get-session"
	T1=$(cpu_ticks "$GH_PID")
	F1=$(proc_ticks_all "$FLOOD_PID")
	S1=$(proc_ticks_all "$SAMPLER_PID")
	other_end "$((T1 - T0 + F1 - F0 + S1 - S0))" "$DURATION"
	FL_BG+=("$M_OTHER")
	touch "$TMP/sampler.stop"
	wait "$SAMPLER_PID" || true
	forget_pid "$SAMPLER_PID"
	FLOOD_RC=0
	wait "$FLOOD_PID" || FLOOD_RC=$?
	forget_pid "$FLOOD_PID"
	((FLOOD_RC == 0)) || { cat "$TMP/flood.$r.out" >&2; die "sign-in flood wrk failed ($FLOOD_RC)"; }
	alive_or_die "$GH_PID" gatehouse-flood
	FL_TICKS=$((FL_TICKS + T1 - T0))
	FL_OK=$((FL_OK + $(lua_val "$TMP/flood.$r.out" signin_ok)))
	FL_OTHER=$((FL_OTHER + $(lua_val "$TMP/flood.$r.out" signin_other)))
	FL_SECS_SUM=$(awk -v a="$FL_SECS_SUM" -v b="$(wrk_seconds "$TMP/flood.$r.out")" 'BEGIN { printf "%.3f", a + b }')
	p99=$(wrk_p99_ms "$TMP/floodgs.$r.out")
	FL_P99S+=("$p99")
	FL_RPSS+=("$(wrk_rps "$TMP/floodgs.$r.out")")
	e=$(err_cell "$TMP/floodgs.$r.out")
	[[ $e == 0 ]] || FL_ERRS+="run $r: $e. "
	e=$(err_cell "$TMP/flood.$r.out")
	[[ $e == 0 && $(lua_val "$TMP/flood.$r.out" signin_other) == 0 ]] ||
		FL_ERRS+="flood $r: $e, non-200 seen by Lua: $(lua_codes "$TMP/flood.$r.out"). "
	FL_DETAIL+=("run $r: get-session $(fmt_rps "${FL_RPSS[-1]}") req/s, p99 $p99 ms (p50 $(awk '$1 == "50%" {print $2}' "$TMP/floodgs.$r.out"), max $(awk '$1 == "Latency" {print $4}' "$TMP/floodgs.$r.out")); sign-ins $(lua_val "$TMP/flood.$r.out" signin_ok) in $(wrk_seconds "$TMP/flood.$r.out") s, sign-in p99 $(wrk_p99_ms "$TMP/flood.$r.out") ms; threads: $(summarise_threads "$TMP/threads.$r")")
done
WRK_LOG+=("sign-in flood (background, ×$FLOOD_RUNS)|taskset -c 1 wrk -t1 -c8 -d${FLOOD_SECS}s --latency $(shell_join -s "$LUA" "$GH_URL/api/auth/sign-in/email")")
WRK_LOG+=("get-session during the flood (×$FLOOD_RUNS, ${WARMUP}s after the flood starts)|taskset -c 1 wrk -t1 -c16 -d${DURATION}s --latency $(shell_join -H "$COOKIE_HDR" "$GH_URL/api/auth/get-session")")
FGS_P99=$(median "${FL_P99S[@]}")
FGS_RPS=$(median "${FL_RPSS[@]}")
FL_RATE=$(awk -v n="$FL_OK" -v s="$FL_SECS_SUM" 'BEGIN { printf "%.1f", (s > 0 ? n / s : 0) }')
FL_CPU_PCT=$(awk -v t="$FL_TICKS" -v hz="$CLK_TCK" -v d="$((DURATION * FLOOD_RUNS))" 'BEGIN { printf "%.0f", 100 * t / hz / d }')
P99_LIST=$(printf '%s / ' "${FL_P99S[@]}")
P99_LIST=${P99_LIST% / }
add_row "**get-session during sign-in flood** (gatehouse cores 0,1, 1 HTTP thread + 1 worker; get-session -c16 + sign-in -c8, both wrk on core 1; median of $FLOOD_RUNS runs, p99 per run: $P99_LIST ms)" \
	"$(fmt_rps "$FGS_RPS")" "**$FGS_P99 ms**" "n/a (process at ${FL_CPU_PCT}% CPU, mostly hashing)" "$(ratio "$FGS_RPS" "$NGINX_RPS")" "${FL_ERRS:-0}" "$(IFS=/; echo "${FL_BG[*]}")"
add_row "sign-in flood itself, during the above (-c8; 200s over all runs)" "$FL_RATE" "see below" "—" "—" "non-200 seen by Lua: $FL_OTHER" "—"
check_session

# ------------------------------------------------------------- report
verdict() { awk -v ok="$1" 'BEGIN { print (ok ? "PASS" : "FAIL") }'; }
GOAL1=$(verdict "$(awk -v a="$GS_RPS" -v b="$NGINX_RPS" 'BEGIN { print (b > 0 && a / b >= 0.6) }')")
GOAL2=$(verdict "$(awk -v p="$FGS_P99" 'BEGIN { print (p != "?" && p + 0 <= 2.0) }')")

TABLE=$(
	echo "| scenario | req/s | p99 | CPU µs/req (server) | ratio to nginx req/s | errors | background CPU |"
	echo "|---|---:|---:|---:|---:|---|---:|"
	for i in "${!R_NAME[@]}"; do
		printf '| %s | %s | %s | %s | %s | %s | %s |\n' "${R_NAME[$i]}" "${R_RPS[$i]}" "${R_P99[$i]}" "${R_CPU[$i]}" "${R_RATIO[$i]}" "${R_ERR[$i]}" "${R_BG[$i]}"
	done
)
GOALS=$(
	echo "- get-session ≥ 0.6× nginx req/s: **$GOAL1** ($GS_RATIO)"
	echo "- get-session p99 during the sign-in flood ≤ 2 ms: **$GOAL2** (median of $FLOOD_RUNS runs: $FGS_P99 ms; per run: $P99_LIST ms)"
	echo "- sign-ins/s with one hashing worker (argon2id m=19456 KiB, t=2): $SI_RATE/s"
)

# Server stderr: anything beyond the start-up banner and the bootstrap
# admin credentials (never copied).
server_stderr() {
	local f
	for f in "$TMP"/gatehouse.log "$TMP"/gatehouse-flood.log; do
		[[ -f $f ]] || continue
		grep -v -e 'bootstrap admin' -e 'email: ' -e 'password: ' -e 'This password is shown' -e 'listening on ' "$f" |
			sed "s|^|$(basename "$f" .log): |" || true
	done
}
STDERR_LINES=$(server_stderr | head -n 40)

GH_VERSION=$("$BIN_RUN" version 2>&1 | head -n 1)
NGINX_VERSION=$(nginx -v 2>&1 | head -n 1)
WRK_VERSION=$(wrk -v 2>&1 | head -n 1 | sed 's/ Copyright.*//' || true)
CPU_MODEL=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)

REPORT=$(
	echo "## Run $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo
	echo "- kernel: \`$(uname -r)\`; CPU: $CPU_MODEL; $NCPU cores online; load average at start: $LOADAVG_START; CPU in use before start: $IDLE_CHECK of a core (other load on the machine skews every figure)"
	echo "- gatehouse: \`$GH_VERSION\`, binary ${BIN#"$ROOT"/} built $BIN_MTIME, sha256 $BIN_SHA… (tree at start: git $GIT_REV$GIT_DIRTY); nginx: \`$NGINX_VERSION\`; wrk: \`$WRK_VERSION\`"
	echo "- gatehouse settings: GATEHOUSE_HTTP_THREADS=1 GATEHOUSE_WORKERS=1 GATEHOUSE_LOG_LEVEL=warn, SQLite, default argon2id, cookie cache off; $RATE_LIMIT_NOTE"
	echo "- command: \`$COMMAND_LINE\` (BENCH_DURATION=$DURATION, BENCH_WARMUP=$WARMUP; each measured run preceded by a ${WARMUP}s warm-up with the same arguments)"
	echo
	echo "$TABLE"
	echo
	echo "$GOALS"
	if ((${#NOISY[@]})); then
		echo
		echo "**Warning: the machine was busy with other work during:** $(printf '%s; ' "${NOISY[@]}")"
		echo "Those figures are not reliable; run again on a quiet machine."
	fi
	echo
	echo "Background CPU = CPU used on the machine (user+nice+system+irq+softirq, all cores) during the"
	echo "measured run that did not come from the server, wrk or this script, as % of one"
	echo "core; steal per measured run: $(printf '%s; ' "${OTHER_LOG[@]}")"
	echo
	echo "Setup of the flood scenario: gatehouse restarted on the same database with"
	echo "\`taskset -c 0,1\`, GATEHOUSE_HTTP_THREADS=1, GATEHOUSE_WORKERS=1 (one HTTP thread,"
	echo "one hashing worker). A wrk (-c8, signin.lua) floods POST /api/auth/sign-in/email"
	echo "for ${FLOOD_SECS}s; after ${WARMUP}s a second wrk (-c16) measures GET /api/auth/get-session"
	echo "for ${DURATION}s; repeated $FLOOD_RUNS times, the median p99 is judged. Both wrk run on"
	echo "core 1, so there are three busy threads (hashing worker, HTTP thread, get-session"
	echo "wrk) on two cores; the kernel decides which gatehouse thread shares core 1 with"
	echo "wrk. Thread placement was sampled every 0.2 s (/proc/<pid>/task/*/stat):"
	echo
	for d in "${FL_DETAIL[@]}"; do echo "- $d"; done
	echo
	echo "wrk commands (measured runs):"
	echo
	for w in "${WRK_LOG[@]}"; do echo "- ${w%%|*}: \`${w#*|}\`"; done
	echo
	echo "Server stderr (start-up banner and bootstrap credentials omitted):"
	echo
	echo '```'
	if [[ -n $STDERR_LINES ]]; then echo "$STDERR_LINES"; else echo "(nothing)"; fi
	echo '```'
)

echo
echo "$REPORT"

if [[ $RESULTS != /dev/null ]]; then
	if [[ ! -s $RESULTS ]]; then
		cat >"$RESULTS" <<'EOF'
# gatehouse bench results

Produced by `bench/run.sh` (see `bench/README.md`). Each run appends a section.

What is measured, in one run on one machine, against nginx `return 200 "ok"`
(the ceiling for an HTTP server on this box):

- **nginx GET /** and **gatehouse GET /api/auth/get-session** (with a valid
  session cookie, SQLite, no cookie cache): server pinned to core 0, wrk
  pinned to core 1, 1 thread, 64 keep-alive connections, 10 s after a 2 s
  warm-up. req/s and p99 from wrk `--latency`; CPU µs/req = the server's
  utime+stime (all threads, from /proc/<pid>/stat) over the measured run
  divided by the requests completed.
- **Sign-ins/s** at the default argon2id cost (m=19456 KiB, t=2) with one
  hashing worker (GATEHOUSE_WORKERS=1, gatehouse on core 0): wrk -c4 with
  `bench/signin.lua`; only 200 responses count.
- **get-session p99 during a sign-in flood**: gatehouse on cores 0 and 1
  (1 HTTP thread + 1 hashing worker), wrk -c8 flooding sign-in and another
  wrk -c16 measuring get-session, both on core 1.

The sign-in-flood scenario is repeated (3× by default) and its median p99 is
judged: with three busy threads on two cores its tail swings from run to run.
"background CPU" is CPU the machine spent on work other than the bench during
the measured run; above 5 % the section carries a warning and its figures are
not reliable.

Goals (from SPEC "How good it must be", as set for this bench):

- get-session ≥ **0.6×** nginx's requests/s;
- get-session p99 ≤ **2 ms** while sign-ins flood the hashing workers.

EOF
	fi
	{ echo "$REPORT"; echo; } >>"$RESULTS"
	log "results appended to $RESULTS"
fi
