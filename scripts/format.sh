#!/usr/bin/env bash
# Format every C file of the repository with the project's .clang-format
# (STYLE.md: formatting is mechanical), or with --check say which files
# differ from it and fail. scripts/test.sh runs the check.
set -uo pipefail
cd "$(dirname "$0")/.."
if ! command -v clang-format >/dev/null; then
  echo "byzlab: clang-format is missing: apt-get install clang-format" >&2
  exit 2
fi
mapfile -t files < <(git ls-files '*.c' '*.h' 2>/dev/null || find lib adversary harness cmd tests -name '*.[ch]')
if [ "${1:-}" = "--check" ]; then
  bad=()
  for f in "${files[@]}"; do
    clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
  done
  if [ ${#bad[@]} -ne 0 ]; then
    echo "byzlab: ${#bad[@]} file(s) differ from .clang-format (run: bash scripts/format.sh):" >&2
    printf '  %s\n' "${bad[@]}" >&2
    exit 1
  fi
  echo "formatting: ${#files[@]} C files match .clang-format"
  exit 0
fi
clang-format -i "${files[@]}"
