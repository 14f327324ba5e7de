# shellcheck shell=bash
# shellcheck disable=SC2034 # variables set here are used by the scripts that source this file
# bench/lib.sh — code shared by bench/run.sh and bench/forward-auth.sh.
# Sourced, not run: the script sets BENCH_DIR (this directory) first.
#
# Defines the settings both scripts take from the environment (GATEHOUSE_BIN,
# BENCH_DURATION, BENCH_WARMUP, BENCH_RESULTS), the bench user, and helpers:
# process bookkeeping and clean-up, ports, CPU accounting, background-load
# measurement, wrk runs and their parsing, nginx and the gatehouse data
# directory, sign-up, and pieces of the report.

ROOT=$(cd "$BENCH_DIR/.." && pwd)
BIN=${GATEHOUSE_BIN:-$ROOT/build/gatehouse}
DURATION=${BENCH_DURATION:-10}
WARMUP=${BENCH_WARMUP:-2}
RESULTS=${BENCH_RESULTS:-$BENCH_DIR/RESULTS.md}

EMAIL=bench@example.com
PASSWORD='a-long-bench-password-1'
SIGNUP_BODY="{\"name\":\"Bench\",\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}"

# Options the sourcing script may switch on after sourcing:
#   MEASURE_THREADS=1      measure() also sets M_THREADS (per-thread CPU)
#   OTHER_SUBTRACT_SELF=1  other_end() also subtracts this shell's own CPU
MEASURE_THREADS=0
OTHER_SUBTRACT_SELF=0

log() { printf 'bench: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

require_tools() { # <tool...>
	local tool
	for tool in "$@"; do
		command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed"
	done
}
check_bin() { [[ -x $BIN ]] || die "$BIN not found; build first: meson setup build && ninja -C build"; }
check_timing() {
	[[ $DURATION =~ ^[0-9]+$ && $DURATION -ge 1 ]] || die "BENCH_DURATION must be a positive integer"
	[[ $WARMUP =~ ^[0-9]+$ ]] || die "BENCH_WARMUP must be a non-negative integer"
}
check_cores() {
	NCPU=$(getconf _NPROCESSORS_ONLN)
	((NCPU >= 2)) || die "need at least 2 cores (have $NCPU)"
}

# bench_setup <tmp-prefix>: temporary directory, private copy of the
# binary, build facts for the report, clean-up on exit.
bench_setup() {
	CLK_TCK=$(getconf CLK_TCK)
	LOADAVG_START=$(cut -d' ' -f1-3 /proc/loadavg)
	TMP=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
	PIDS=()
	# Run a private copy, so that a rebuild of build/gatehouse during the bench
	# (other people work in this tree) cannot mix two binaries in one report.
	BIN_RUN=$TMP/gatehouse
	cp "$BIN" "$BIN_RUN"
	BIN_SHA=$(sha256sum "$BIN_RUN" | cut -c1-12)
	BIN_MTIME=$(date -u -r "$BIN" '+%Y-%m-%d %H:%M:%S UTC')
	GIT_REV=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
	GIT_DIRTY=$(if git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null | grep -q .; then echo " + uncommitted changes"; fi)
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

cleanup() {
	local rc=$? pid
	trap - EXIT INT TERM
	for pid in "${PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		wait_or_kill "$pid"
	done
	if [[ ${BENCH_KEEP_TMP:-0} == 1 ]]; then
		log "temporary files kept in $TMP"
	else
		rm -rf "$TMP"
	fi
	exit "$rc"
}

wait_or_kill() { # waits up to 5 s for $1 to exit, then KILLs it
	local i
	for ((i = 0; i < 50; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

forget_pid() { # removes $1 from PIDS
	local keep=() p
	for p in "${PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
	PIDS=(${keep[@]+"${keep[@]}"})
}

stop_pid() { # TERM, wait up to 5 s, KILL
	local pid=$1
	kill -TERM "$pid" 2>/dev/null || true
	wait_or_kill "$pid"
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
cpu_ticks_sum() { local t=0 p; for p in "$@"; do t=$((t + $(cpu_ticks "$p"))); done; echo "$t"; }

# "tid name ticks" for every thread of a process.
thread_ticks() {
	local t line rest comm
	for t in /proc/"$1"/task/*; do
		{ read -r line <"$t/stat" && read -r comm <"$t/comm"; } 2>/dev/null || continue
		rest=${line##*) }
		# shellcheck disable=SC2086
		set -- $rest
		printf '%s %s %s\n' "${t##*/}" "${comm// /_}" "$((${12} + ${13}))"
	done
}
# Threads that used ≥ 3 % of the process's CPU between two thread_ticks
# snapshots: "name(tid) NN%, …" as shares of one core over <seconds>.
thread_share() { # before after seconds
	awk -v hz="$CLK_TCK" -v d="$3" '
	NR == FNR { t0[$1] = $3; next }
	{ dt = $3 - (($1 in t0) ? t0[$1] : 0); tot += dt; name[$1] = $2; v[$1] = dt }
	END {
		for (id in v) if (tot > 0 && v[id] / tot >= 0.03) {
			printf "%s%s(%s) %.0f%%", sep, name[id], id, 100 * v[id] / hz / d; sep = ", " }
	}' "$1" "$2"
}

# Background load: CPU the machine spent in user+nice+system+irq+softirq
# (/proc/stat, all CPUs) during a measured run, minus what the bench itself
# used (the processes passed to other_end, and wrk and helpers, which are
# this shell's reaped children: cutime+cstime of $$; with
# OTHER_SUBTRACT_SELF=1 also this shell itself), as % of one core. Also
# reports steal (time the hypervisor took away).
sys_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $9 }' /proc/stat; }
self_child_ticks() {
	local line rest
	read -r line <"/proc/$$/stat"
	rest=${line##*) }
	# shellcheck disable=SC2086
	set -- $rest
	echo $((${14} + ${15}))
}
self_ticks() { if ((OTHER_SUBTRACT_SELF)); then cpu_ticks $$; else echo 0; fi; }
other_begin() { read -r OB_SYS OB_STEAL < <(sys_ticks); OB_CHILD=$(self_child_ticks); OB_SELF=$(self_ticks); }
other_end() { # <ticks used by our own live processes during the window> <seconds>
	local sys steal child self
	child=$(self_child_ticks)
	self=$(self_ticks)
	read -r sys steal < <(sys_ticks)
	M_OTHER=$(awk -v t="$((sys - OB_SYS - (child - OB_CHILD) - (self - OB_SELF) - $1))" -v hz="$CLK_TCK" -v d="$2" \
		'BEGIN { v = 100 * t / hz / d; if (v < 0) v = 0; printf "%.0f%%", v }')
	M_STEAL=$(awk -v t="$((steal - OB_STEAL))" -v hz="$CLK_TCK" -v d="$2" 'BEGIN { printf "%.0f%%", 100 * t / hz / d }')
	OTHER_LOG+=("$M_LABEL: background ${M_OTHER}, steal ${M_STEAL}")
	if awk -v v="${M_OTHER%\%}" -v s="${M_STEAL%\%}" 'BEGIN { exit !(v + 0 > 5 || s + 0 > 5) }'; then
		NOISY+=("$M_LABEL (background ${M_OTHER} of a core, steal ${M_STEAL})")
	fi
}
OTHER_LOG=() NOISY=()

# Before anything starts: how busy is the machine already (2 s sample)?
idle_check() {
	read -r PRE_SYS _ < <(sys_ticks)
	sleep 2
	read -r POST_SYS _ < <(sys_ticks)
	IDLE_CHECK=$(awk -v t="$((POST_SYS - PRE_SYS))" -v hz="$CLK_TCK" 'BEGIN { printf "%.0f%%", 100 * t / hz / 2 }')
	if awk -v v="${IDLE_CHECK%\%}" 'BEGIN { exit !(v + 0 > 5) }'; then
		log "warning: the machine is already busy (${IDLE_CHECK} of a core in use before the bench); figures will be noisy"
		NOISY+=("before the start (${IDLE_CHECK} of a core already in use)")
	fi
}

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

WRK_LOG=() # "label|command" of every measured run, for RESULTS.md

# Joins arguments into a readable shell command line for the report: the
# session token and the API key (if set) are replaced by <token>/<key>,
# bench paths made relative, arguments with spaces single-quoted.
shell_join() {
	local a words=()
	for a in "$@"; do
		[[ -n ${COOKIE:-} ]] && a=${a//"$COOKIE"/<token>}
		[[ -n ${API_KEY:-} ]] && a=${a//"$API_KEY"/<key>}
		a=${a//"$BENCH_DIR"/bench}
		a=${a//"$TMP"/\$TMP}
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

# measure <out> <label> <pids-for-cpu...> -- <wrk args>: warm-up, then the
# measured run with CPU accounting. Sets M_CPU_US (CPU µs of the given
# processes in total) and, with MEASURE_THREADS=1, M_THREADS (per-thread CPU
# of the first pid). WRK_ENV_NOTE, if set, prefixes the logged command.
measure() {
	local out=$1 label=$2 pids=() t0 t1
	shift 2
	while [[ $1 != -- ]]; do pids+=("$1"); shift; done
	shift
	log "$label: warm-up ${WARMUP}s"
	warmup "$@"
	log "$label: measuring ${DURATION}s"
	M_LABEL=$label
	if ((MEASURE_THREADS)); then thread_ticks "${pids[0]}" >"$TMP/threads.before"; fi
	other_begin
	t0=$(cpu_ticks_sum "${pids[@]}")
	run_wrk "$out" "$DURATION" "$@"
	t1=$(cpu_ticks_sum "${pids[@]}")
	other_end "$((t1 - t0))" "$DURATION"
	if ((MEASURE_THREADS)); then
		thread_ticks "${pids[0]}" >"$TMP/threads.after"
		M_THREADS=$(thread_share "$TMP/threads.before" "$TMP/threads.after" "$DURATION")
	fi
	M_CPU_US=$(((t1 - t0) * 1000000 / CLK_TCK))
	WRK_LOG+=("$label|${WRK_ENV_NOTE:-}taskset -c 1 wrk -t1 -d${DURATION}s --latency $(shell_join "$@")")
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

# Results: one row per scenario. Arrays indexed by row.
R_NAME=() R_RPS=() R_P99=() R_CPU=() R_RATIO=() R_ERR=() R_BG=()
add_row() { R_NAME+=("$1"); R_RPS+=("$2"); R_P99+=("$3"); R_CPU+=("$4"); R_RATIO+=("$5"); R_ERR+=("$6"); R_BG+=("${7:-$M_OTHER}"); }

# start_nginx: nginx `return 200 "ok"` on core 0. Sets NGINX_PORT,
# NGINX_PID, NGINX_URL and NGINX_PROCS (master and worker).
start_nginx() {
	local child kids=()
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
	read -r -a kids <"/proc/$NGINX_PID/task/$NGINX_PID/children" 2>/dev/null || true
	for child in ${kids[@]+"${kids[@]}"}; do NGINX_PROCS+=("$child"); done
	log "nginx on $NGINX_URL (pids ${NGINX_PROCS[*]}, core 0)"
}

# gatehouse_data: an empty data directory and a random secret. Sets GH_DATA,
# GH_SECRET.
gatehouse_data() {
	GH_DATA=$TMP/gatehouse-data
	mkdir -p "$GH_DATA"
	GH_SECRET=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
	[[ ${#GH_SECRET} -eq 64 ]] || die "could not generate a secret"
}

# sign_up: signs the bench user up on $GH_URL. Sets COOKIE, COOKIE_HDR.
sign_up() {
	curl -sS --max-time 30 -D "$TMP/signup.headers" -o "$TMP/signup.body" \
		-H 'Content-Type: application/json' --data "$SIGNUP_BODY" \
		-w '%{http_code}' "$GH_URL/api/auth/sign-up/email" >"$TMP/signup.code"
	[[ $(cat "$TMP/signup.code") == 200 ]] || die "sign-up returned $(cat "$TMP/signup.code"): $(cat "$TMP/signup.body")"
	COOKIE=$(tr -d '\r' <"$TMP/signup.headers" |
		sed -n 's/^[Ss]et-[Cc]ookie: *better-auth\.session_token=\([^;]*\).*/\1/p' | head -n 1)
	[[ -n $COOKIE ]] || die "no better-auth.session_token cookie in the sign-up response"
	COOKIE_HDR="Cookie: better-auth.session_token=$COOKIE"
}

# ------------------------------------------------------------- report
verdict() { awk -v ok="$1" 'BEGIN { print (ok ? "PASS" : "FAIL") }'; }

# The R_* rows as a Markdown table.
results_table() {
	local i
	echo "| scenario | req/s | p99 | CPU µs/req (server) | ratio to nginx req/s | errors | background CPU |"
	echo "|---|---:|---:|---:|---:|---|---:|"
	for i in "${!R_NAME[@]}"; do
		printf '| %s | %s | %s | %s | %s | %s | %s |\n' "${R_NAME[$i]}" "${R_RPS[$i]}" "${R_P99[$i]}" "${R_CPU[$i]}" "${R_RATIO[$i]}" "${R_ERR[$i]}" "${R_BG[$i]}"
	done
}

# Sets GH_VERSION, NGINX_VERSION, WRK_VERSION, CPU_MODEL.
collect_versions() {
	GH_VERSION=$("$BIN_RUN" version 2>&1 | head -n 1)
	NGINX_VERSION=$(nginx -v 2>&1 | head -n 1)
	WRK_VERSION=$(wrk -v 2>&1 | head -n 1 | sed 's/ Copyright.*//' || true)
	CPU_MODEL=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
}

# Report lines: the machine, and the start of the versions line.
report_machine() {
	echo "- kernel: \`$(uname -r)\`; CPU: $CPU_MODEL; $NCPU cores online; load average at start: $LOADAVG_START; CPU in use before start: $IDLE_CHECK of a core (other load on the machine skews every figure)"
}
report_versions() {
	echo "- gatehouse: \`$GH_VERSION\`, binary ${BIN#"$ROOT"/} built $BIN_MTIME, sha256 $BIN_SHA… (tree at start: git $GIT_REV$GIT_DIRTY); nginx: \`$NGINX_VERSION\`; wrk: \`$WRK_VERSION\`"
}

# Report paragraph on a busy machine (nothing if it was quiet).
report_noisy() {
	if ((${#NOISY[@]})); then
		echo
		echo "**Warning: the machine was busy with other work during:** $(printf '%s; ' "${NOISY[@]}")"
		echo "Those figures are not reliable; run again on a quiet machine."
	fi
}

# report_stderr <lines>: the server-stderr code block.
report_stderr() {
	echo
	echo '```'
	if [[ -n $1 ]]; then echo "$1"; else echo "(nothing)"; fi
	echo '```'
}
