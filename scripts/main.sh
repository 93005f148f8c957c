#!/usr/bin/env bash
# The main job: install what is missing, build, and run the default job
# in the simulator. Until the campaign work (issue #5) lands, the default
# job is one scenario per protocol: n = 4, 1,000 requests, 2 % message loss
# until GST at 1 s, and replica 0 (the first primary/leader) crashing at
# 300 ms. Then it becomes the threshold campaign.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/build.sh
mkdir -p results
status=0
for p in pbft hotstuff; do
  ./build/byzlab run --protocol "$p" --n 4 --clients 4 --requests 250 \
    --loss 0.02 --gst 1s --crash 0@300ms \
    --trace "results/main-$p.jsonl" "$@" || status=$?
done
exit $status
