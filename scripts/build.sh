#!/usr/bin/env bash
# Configure (once) and build a tree: scripts/build.sh [DIR [meson setup args]]
# (default build/). Quiet when all goes well; on failure it prints meson's
# or the compiler's output, so the error says what and where.
set -uo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if [ ! -f "$dir/build.ninja" ]; then
  rm -rf "$dir"  # a half-configured tree from an earlier failure
  if ! meson setup "$dir" "$@" >"$log" 2>&1; then
    cat "$log" >&2
    echo "byzlab: configuring $dir failed (above)" >&2
    exit 1
  fi
fi
if ! meson compile -C "$dir" >"$log" 2>&1; then
  grep -E 'error|Error|ERROR' -A3 "$log" >&2 || cat "$log" >&2
  echo "byzlab: building $dir failed (above)" >&2
  exit 1
fi
