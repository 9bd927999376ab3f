#!/usr/bin/env bash
# Make sure Debian's Chromium is installed for the real-browser tests (never a downloaded build).
# Installs it with apt when it is missing and this user can (root or password-less sudo).
# Where it cannot, the browser tests skip with the reason, except under CI=true, where they fail.
set -u
for candidate in /usr/bin/chromium /usr/bin/chromium-browser; do
  [ -x "$candidate" ] && exit 0
done
if [ "$(id -u)" = 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO="sudo -n"
else
  echo "ensure_chromium: Chromium is missing and this user cannot install packages; browser tests will be skipped (they fail under CI=true)." >&2
  exit 0
fi
command -v apt-get >/dev/null 2>&1 || { echo "ensure_chromium: no apt-get; browser tests will be skipped." >&2; exit 0; }
echo "ensure_chromium: installing Debian's chromium with apt-get"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null && $SUDO apt-get install -y -qq chromium fonts-dejavu-core >/dev/null \
  || echo "ensure_chromium: apt-get could not install chromium; browser tests will be skipped (they fail under CI=true)." >&2
exit 0
