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
# shellcheck source=SCRIPTDIR/lib.sh
source "$BENCH_DIR/lib.sh"
FLOOD_RUNS=${BENCH_FLOOD_RUNS:-3}
LUA=$BENCH_DIR/signin.lua
COMMAND_LINE="$0${*:+ $*}"

require_tools wrk nginx taskset curl getconf awk
check_bin
[[ -r $LUA ]] || die "$LUA missing"
check_timing
[[ $FLOOD_RUNS =~ ^[0-9]+$ && $FLOOD_RUNS -ge 1 ]] || die "BENCH_FLOOD_RUNS must be a positive integer"
check_cores

bench_setup gatehouse-bench
idle_check

# ---------------------------------------------------------------- nginx
start_nginx

# ------------------------------------------------------------ gatehouse
gatehouse_data

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
sign_up

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
GOAL1=$(verdict "$(awk -v a="$GS_RPS" -v b="$NGINX_RPS" 'BEGIN { print (b > 0 && a / b >= 0.6) }')")
GOAL2=$(verdict "$(awk -v p="$FGS_P99" 'BEGIN { print (p != "?" && p + 0 <= 2.0) }')")

TABLE=$(results_table)
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

collect_versions

REPORT=$(
	echo "## Run $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo
	report_machine
	report_versions
	echo "- gatehouse settings: GATEHOUSE_HTTP_THREADS=1 GATEHOUSE_WORKERS=1 GATEHOUSE_LOG_LEVEL=warn, SQLite, default argon2id, cookie cache off; $RATE_LIMIT_NOTE"
	echo "- command: \`$COMMAND_LINE\` (BENCH_DURATION=$DURATION, BENCH_WARMUP=$WARMUP; each measured run preceded by a ${WARMUP}s warm-up with the same arguments)"
	echo
	echo "$TABLE"
	echo
	echo "$GOALS"
	report_noisy
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
	report_stderr "$STDERR_LINES"
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
