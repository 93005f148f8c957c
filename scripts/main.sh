#!/usr/bin/env bash
# The main job: install what is missing, build, and run the default job
# in the simulator. (Until the campaign work lands, the default job is one
# `byzlab run` scenario; then it becomes the threshold campaign.)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/build.sh
mkdir -p results
exec ./build/byzlab run --n 4 --clients 4 --requests 250 --loss 0.02 --gst 1s \
  --trace results/main-trace.jsonl "$@"
