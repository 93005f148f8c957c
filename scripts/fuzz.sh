#!/usr/bin/env bash
# Fuzz the readers of untrusted bytes (docs/fuzzing.md): build build-fuzz
# (clang, libFuzzer, ASan + UBSan, every library instrumented for coverage)
# and run each fuzz target in turn for BYZLAB_FUZZ_SECONDS seconds (default
# 60), seeded with a scratch copy of its corpus (tests/corpus/NAME), one
# line per target:
#
#   fuzz_wire: 3512345 executions (58539/s), cov 921, ft 4107, corpus 310: ok
#
#   scripts/fuzz.sh [NAME...]     (default: wire attack campaign failure)
#
# A target that crashes, leaks, hangs (one input over 10 s) or breaks one of
# its checks stops at once; its sanitizer summary is printed and the input
# kept as results/fuzz/fuzz_NAME-crash-<sha1> (or -leak-, -timeout-): add it
# to the corpus with the fix. BYZLAB_FUZZ_KEEP=DIR keeps each target's
# corpus after the run in DIR/NAME (to minimize and commit: -merge=1).
# BYZLAB_FUZZ_DIR: the build tree (build-fuzz). Exit 0: every target ran
# clean; 1: one did not; 2: nothing to fuzz with (no clang with libFuzzer,
# or the build failed).
set -uo pipefail
cd "$(dirname "$0")/.."

seconds=${BYZLAB_FUZZ_SECONDS:-60}
dir=${BYZLAB_FUZZ_DIR:-build-fuzz}
keep=${BYZLAB_FUZZ_KEEP:-}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(wire attack campaign failure)

if ! command -v clang >/dev/null ||
   ! echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n){(void)d;(void)n;return 0;}' |
     clang -x c -fsanitize=fuzzer -o /dev/null - 2>/dev/null; then
  echo "byzlab: clang with libFuzzer is missing (apt-get install clang libclang-rt-14-dev)" >&2
  exit 2
fi
CC=clang bash scripts/build.sh "$dir" --buildtype=debugoptimized \
    -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false || exit 2

# The longest input worth trying, per target: a frame; an attack text
# (attack_parse refuses 512 bytes); a campaign file; a failure file.
max_len() {
  case $1 in
    wire) echo 4096 ;; attack) echo 600 ;; *) echo 16384 ;;
  esac
}

mkdir -p results/fuzz
status=0
for name in "${targets[@]}"; do
  bin="$dir/tests/fuzz_$name"
  if [ ! -x "$bin" ] || [ ! -d "tests/corpus/$name" ]; then
    echo "fuzz_$name: no such target (tests/fuzz/fuzz_$name.c, tests/corpus/$name/)" >&2
    status=1
    continue
  fi
  scratch=$(mktemp -d)
  cp "tests/corpus/$name"/* "$scratch"/
  dict=()
  [ -f "tests/fuzz/$name.dict" ] && dict=(-dict="tests/fuzz/$name.dict")
  log=$(mktemp)
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
    "$bin" -max_total_time="$seconds" -max_len="$(max_len "$name")" \
      -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="results/fuzz/fuzz_$name-" "${dict[@]}" \
      "$scratch" >"$log" 2>&1
  rc=$?
  # "#N DONE cov: C ft: F corp: U/Bb ..." and stat::average_exec_per_sec
  /usr/bin/python3 - "$name" "$rc" "$log" <<'PY'
import re, sys
name, rc, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
text = open(path, errors="replace").read()
stats = dict(re.findall(r"^stat::(\w+):\s+(\d+)", text, re.M))
last = re.findall(r"^#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\d+)", text, re.M)
runs = stats.get("number_of_executed_units", last[-1][0] if last else "?")
speed = stats.get("average_exec_per_sec", "?")
cov, ft, corp = last[-1][1:] if last else ("?", "?", "?")
print(f"fuzz_{name}: {runs} executions ({speed}/s), cov {cov}, ft {ft}, "
      f"corpus {corp}: {'ok' if rc == 0 else 'FAILED'}")
if rc:
    for line in text.splitlines():
        if re.search(r"ERROR|SUMMARY|fuzz_\w+: |runtime error|Test unit written|artifact_prefix", line):
            print("  " + line)
PY
  if [ "$rc" -ne 0 ]; then status=1; fi
  if [ -n "$keep" ]; then
    mkdir -p "$keep/$name" && cp "$scratch"/* "$keep/$name"/
  fi
  rm -rf "$scratch" "$log"
done
exit $status
