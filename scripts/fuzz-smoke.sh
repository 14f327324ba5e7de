#!/usr/bin/env bash
# fuzz-smoke.sh [SECONDS] — a short run of every libFuzzer target (fuzz/).
#
# Configures build-fuzz if it does not exist (clang, ASan+UBSan on the whole
# library, coverage instrumentation via -fsanitize=fuzzer-no-link), builds it,
# then runs each fuzz/fuzz_*.c target for SECONDS (default 20) on a temporary
# copy of fuzz/corpus/<target>/, so nothing is written into the repository.
# A target fails on its first crash, leak, sanitizer report, timeout (10 s per
# input) or out-of-memory (2 GiB); the reproducer is copied to
# $FUZZ_ARTIFACTS (default: a directory under /tmp, printed).
# FUZZ_BUILDDIR picks another build directory (default build-fuzz);
# FUZZ_NO_BUILD=1 runs the binaries already in build-fuzz without rebuilding.
# A fuzz_*.c without a binary (not listed in fuzz/meson.build) is reported as
# SKIPPED and not counted. Prints one closing line "N passed, N failed" (one
# per target run) and exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
root=$PWD
seconds=${1:-20}
builddir=${FUZZ_BUILDDIR:-build-fuzz}
case $builddir in
/*) ;;
*) builddir=$root/$builddir ;;
esac

case $seconds in
'' | *[!0-9]*)
	echo "usage: $0 [SECONDS]" >&2
	exit 2
	;;
esac

if [ ! -f "$builddir/build.ninja" ]; then
	CC=clang meson setup "$builddir" -Dfuzz=true -Db_sanitize=address,undefined \
		-Db_lundef=false -Dbuildtype=debugoptimized \
		"-Dc_args=-fsanitize=fuzzer-no-link -fno-sanitize-recover=all" >/dev/null || {
		echo "meson setup $builddir failed"
		echo "0 passed, 1 failed"
		exit 1
	}
fi
if [ "${FUZZ_NO_BUILD:-0}" != 1 ] && ! ninja -C "$builddir" >/dev/null 2>&1; then
	ninja -C "$builddir" 2>&1 | tail -40
	echo "0 passed, 1 failed"
	exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -n "${FUZZ_ARTIFACTS:-}" ]; then
	artifacts=$FUZZ_ARTIFACTS
	mkdir -p "$artifacts"
else
	artifacts=$(mktemp -d /tmp/gatehouse-fuzz-artifacts.XXXXXX)
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

passed=0
failed=0
for src in fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	target=${name#fuzz_}
	bin=$builddir/fuzz/$name
	if [ ! -x "$bin" ]; then
		# e.g. a target whose module is not in the library yet
		echo "== $name: SKIPPED, not built (add '$target' to fuzz/meson.build)"
		continue
	fi
	corpus=$work/$target
	mkdir -p "$corpus" "$work/out-$target"
	if [ -d "fuzz/corpus/$target" ]; then cp -R "fuzz/corpus/$target/." "$corpus/"; fi
	log=$work/$target.log
	(cd "$work/out-$target" && "$bin" -max_total_time="$seconds" -max_len=8192 \
		-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "$corpus") >"$log" 2>&1
	rc=$?
	runs=$(grep -E '^stat::number_of_executed_units:' "$log" | awk '{print $2}')
	secs=$(grep -E '^Done [0-9]+ runs in [0-9]+ second' "$log" | awk '{print $5}')
	rate=$(grep -E '^stat::average_exec_per_sec:' "$log" | awk '{print $2}')
	cov=$(grep -E '^#[0-9]+' "$log" | grep -oE 'cov: [0-9]+' | tail -1)
	if [ $rc -eq 0 ]; then
		echo "== $name: ok, ${runs:-?} runs in ${secs:-?} s (${rate:-?} exec/s, ${cov:-cov: ?})"
		passed=$((passed + 1))
	else
		echo "== $name: FAILED (exit $rc)"
		grep -E 'invariant|runtime error|ERROR: libFuzzer|SUMMARY: (Undefined|libFuzzer)|Test unit written|Base64' \
			"$log" | head -20
		sed -n '/^==[0-9]*==ERROR/,/^SUMMARY/p' "$log" | head -60
		for f in "$work/out-$target"/crash-* "$work/out-$target"/leak-* \
			"$work/out-$target"/timeout-* "$work/out-$target"/oom-*; do
			[ -e "$f" ] || continue
			cp "$f" "$artifacts/$name-$(basename "$f")"
			echo "   reproducer: $artifacts/$name-$(basename "$f")" \
				"(run: $bin $artifacts/$name-$(basename "$f"))"
		done
		failed=$((failed + 1))
	fi
done

[ -n "${FUZZ_ARTIFACTS:-}" ] || [ "$failed" -gt 0 ] || rmdir "$artifacts"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
