#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls this):
#   1. unit tests (cmocka) on the normal build;
#   2. black-box tests (Node's runner, the real Better-Auth client) and the
#      integration test (real nginx + a FastAPI app) against the normal
#      binary, and the FastAPI helper's own tests;
#   3. the same unit and black-box tests on an ASan+UBSan build (clang);
#   4. a short smoke run of every libFuzzer target.
# Prints one closing line "N passed, N failed"; exits non-zero on any failure.
# FUZZ_SECONDS (default 10) sets the time per fuzz target; SKIP_ASAN=1 and
# SKIP_FUZZ=1 shorten a local run.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
./scripts/deps.sh || exit 1
passed=0
failed=0
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

count() { # name, pass, fail
	echo "== $1: $2 passed, $3 failed"
	passed=$((passed + $2))
	failed=$((failed + $3))
}

unit_tests() { # builddir label
	if ! meson test -C "$1" --print-errorlogs >"$log/unit-$2.txt" 2>&1; then :; fi
	local ok fail
	ok=$(grep -E '^Ok:' "$log/unit-$2.txt" | awk '{print $2}')
	fail=$(grep -E '^(Fail|Timeout):' "$log/unit-$2.txt" | awk '{s+=$2} END {print s+0}')
	[ -n "$ok" ] || { ok=0; fail=$((fail + 1)); cat "$log/unit-$2.txt"; }
	[ "$fail" -gt 0 ] && grep -E 'FAIL|TIMEOUT|ERROR' -A40 "$log/unit-$2.txt" | head -150
	count "unit ($2)" "$ok" "$fail"
}

blackbox_tests() { # binary label
	(cd tests/blackbox && { [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error; }) || {
		count "black-box ($2)" 0 1
		return
	}
	GATEHOUSE_BIN="$root/$1" node --test --test-concurrency=2 --test-reporter=spec \
		tests/blackbox/*.test.mjs tests/integration/*.test.mjs >"$log/bb-$2.txt" 2>&1
	local ok fail
	ok=$(grep -E '^ℹ pass ' "$log/bb-$2.txt" | awk '{print $3}')
	fail=$(grep -E '^ℹ fail ' "$log/bb-$2.txt" | awk '{print $3}')
	[ -n "$ok" ] || { ok=0; fail=1; }
	if [ "${fail:-1}" -gt 0 ]; then
		grep -E '✖|Error|expected|actual|failureType' -A12 "$log/bb-$2.txt" | head -300
	fi
	count "black-box ($2)" "$ok" "${fail:-1}"
}

python_tests() { # the FastAPI helper (Debian's python3: /usr/bin/python3)
	/usr/bin/python3 -m unittest discover -s examples/python >"$log/py.txt" 2>&1
	local ran fail
	ran=$(grep -E '^Ran [0-9]+ test' "$log/py.txt" | awk '{print $2}')
	fail=$(grep -oE '(failures|errors)=[0-9]+' "$log/py.txt" | awk -F= '{s+=$2} END {print s+0}')
	[ -n "$ran" ] || { ran=0; fail=1; cat "$log/py.txt"; }
	[ "$fail" -gt 0 ] && tail -40 "$log/py.txt"
	count "python helper" "$((ran - fail))" "$fail"
}

format_check() { # the committed .clang-format is the style
	if clang-format --dry-run --Werror src/*.c src/*/*.c src/*/*.h tests/unit/*.c fuzz/*.c \
		>"$log/format.txt" 2>&1; then
		count format 1 0
	else
		head -20 "$log/format.txt"
		count format 0 1
	fi
}

format_check

# 1-2: the normal build
if [ ! -d build ]; then meson setup build >/dev/null || exit 1; fi
if ninja -C build >"$log/build.txt" 2>&1; then
	unit_tests build normal
	blackbox_tests build/gatehouse normal
	python_tests
else
	cat "$log/build.txt"
	count build 0 1
fi

# 3: sanitizers
if [ "${SKIP_ASAN:-0}" != 1 ]; then
	if [ ! -d build-asan ]; then
		CC=clang meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false \
			-Dbuildtype=debug -Dc_args=-fno-sanitize-recover=all >/dev/null || exit 1
	fi
	if ninja -C build-asan >"$log/build-asan.txt" 2>&1; then
		export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
		export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
		unit_tests build-asan asan
		blackbox_tests build-asan/gatehouse asan
	else
		cat "$log/build-asan.txt"
		count "build (asan)" 0 1
	fi
fi

# 4: fuzz smoke
if [ "${SKIP_FUZZ:-0}" != 1 ]; then
	./scripts/fuzz-smoke.sh "${FUZZ_SECONDS:-10}" >"$log/fuzz.txt" 2>&1
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log/fuzz.txt" | tail -1)
	if [ -n "$line" ]; then
		count fuzz "$(echo "$line" | awk '{print $1}')" "$(echo "$line" | awk '{print $3}')"
	else
		tail -40 "$log/fuzz.txt"
		count fuzz 0 1
	fi
	grep -E 'ERROR|crash|deadly' "$log/fuzz.txt" | head -20
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
