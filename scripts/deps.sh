#!/usr/bin/env bash
# Install what byzlab needs on Debian 12, when it is missing.
# As root it uses apt-get; otherwise sudo if it needs no password; otherwise
# it prints the command to run and exits 2.
set -euo pipefail

PKGS=(gcc meson ninja-build pkg-config clang-format
      libsodium-dev libzmq3-dev libcriterion-dev libjansson-dev
      python3-pytest python3-zmq python3-nacl
      gnuplot-nox chromium fonts-dejavu-core)
# Optional: clang with its runtime builds the libFuzzer target.
OPTIONAL=(clang libclang-rt-14-dev)

missing=()
for p in "${PKGS[@]}" "${OPTIONAL[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
    || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "byzlab: installing ${missing[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  sudo apt-get update -qq
  sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "byzlab: missing Debian packages: ${missing[*]}" >&2
  echo "byzlab: install them with: sudo apt-get install ${missing[*]}" >&2
  exit 2
fi
