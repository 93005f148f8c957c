#!/usr/bin/env bash
# The main job: install what is missing, build, and run the threshold
# campaign (campaigns/threshold.yaml) in the simulator on every CPU:
# PBFT and HotStuff at n = 4 and 7, b = 0..f Byzantine replicas under
# every attack (200 seeds per protocol, n and b; safe and live expected),
# and b = f+1 with twins and equivocation (a safety violation expected,
# found and shrunk). It ends with the threshold table; the results are in
# results/threshold/ (runs.jsonl, summary.md, failures/). The shrunk
# counterexamples are replayed at the end. Extra arguments go to
# `byzlab campaign` (e.g. --jobs 4, --resume).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/build.sh
mkdir -p results
status=0
args=("$@")
case " $* " in *" --resume "*) ;; *) args+=(--force) ;; esac
./build/byzlab campaign campaigns/threshold.yaml --out results/threshold \
  "${args[@]}" || status=$?
if ls results/threshold/failures/*.shrunk.json >/dev/null 2>&1; then
  echo
  echo "Replaying the shrunk counterexamples:"
  ./build/byzlab replay results/threshold/failures/*.shrunk.json || status=1
fi
exit $status
