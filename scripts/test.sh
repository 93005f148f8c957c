#!/usr/bin/env bash
# Install what is missing, build, and run every test: the formatting check
# (every C file as .clang-format says), the release build,
# the same suite under AddressSanitizer + UndefinedBehaviorSanitizer, the
# regression campaign (campaigns/ci.yaml: every expectation must hold and
# every failure it saves must replay with the same trace hash), the
# real-process campaign (campaigns/real.yaml, driver zmq), and
# (when clang and its fuzzer runtime are present) a short libFuzzer run of
# each fuzz target seeded with its corpus (scripts/fuzz.sh, docs/fuzzing.md).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh || exit $?

fuzz_seconds=${BYZLAB_FUZZ_SECONDS:-8}  # per fuzz target (4 targets)
status=0
suites_passed=0
suites_failed=0

step() { echo; echo "== $*"; }
tally() {  # tally NAME STATUS
  if [ "$2" -eq 0 ]; then suites_passed=$((suites_passed + 1))
  else suites_failed=$((suites_failed + 1)); status=1; echo "!! $1 failed"; fi
}

step "formatting: every C file matches .clang-format (scripts/format.sh)"
bash scripts/format.sh --check
tally "formatting" $?

step "release build and tests (build/)"
bash scripts/build.sh && meson test -C build --print-errorlogs --num-processes 2
tally "release tests" $?

step "sanitizer build and tests (build-asan/: address + undefined)"
bash scripts/build.sh build-asan --buildtype=debug \
    -Db_sanitize=address,undefined -Db_lundef=false \
    -Dc_args=-fno-sanitize-recover=all && \
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  meson test -C build-asan --print-errorlogs --num-processes 2 \
    --timeout-multiplier 3
tally "sanitizer tests" $?

step "regression campaign: campaigns/ci.yaml (results/ci/), and replay of its failures"
rm -rf results/ci
./build/byzlab campaign campaigns/ci.yaml --out results/ci --jobs 2 -q --force && \
  { ls results/ci/failures/*.json >/dev/null 2>&1 || { echo "no failure saved"; false; }; } && \
  ./build/byzlab replay -q results/ci/failures/*.json && echo "every saved failure replays exactly" && \
  ./build/byzlab report campaign results/ci -q
tally "regression campaign" $?

step "real processes: campaigns/real.yaml (results/real/; each run a local cluster over ZeroMQ)"
rm -rf results/real
./build/byzlab campaign campaigns/real.yaml --out results/real --jobs 2 -q --force
tally "real-process campaign" $?

step "self-test: each protocol mutant against campaigns/ci.yaml (results/selftest/)"
./build/byzlab selftest --known-escapes campaigns/selftest-escapes.txt \
  --out results/selftest --jobs 2 -q --no-shrink
tally "self-test" $?

if command -v clang >/dev/null && \
   echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n){(void)d;(void)n;return 0;}' \
     | clang -x c -fsanitize=fuzzer -o /dev/null - 2>/dev/null; then
  step "libFuzzer: wire decoder, attack language, campaign files, failure files, ${fuzz_seconds}s each (build-fuzz/, scripts/fuzz.sh)"
  BYZLAB_FUZZ_SECONDS="$fuzz_seconds" bash scripts/fuzz.sh
  tally "fuzzing" $?
else
  step "libFuzzer: skipped (clang with libFuzzer not available)"
fi

# One closing line over every test run above (meson's logs count the test
# programs; the fuzz run counts as one).
counts=$(/usr/bin/python3 - "$suites_failed" <<'PY'
import json, sys
ok = bad = 0
for d in ("build", "build-asan"):
    try:
        with open(d + "/meson-logs/testlog.json") as f:
            for line in f:
                r = json.loads(line).get("result")
                if r in ("OK", "EXPECTEDFAIL", "SKIP"):
                    ok += 1
                else:
                    bad += 1
    except OSError:
        bad += 1
print(ok, bad)
PY
)
read -r tests_ok tests_bad <<<"$counts"
echo
echo "suites: $suites_passed passed, $suites_failed failed"
echo "tests: $tests_ok passed, $tests_bad failed"
[ "$tests_bad" -eq 0 ] || status=1
exit $status
