#!/usr/bin/env bash
# Make sure Debian's Chromium is installed for the real-browser tests (never a downloaded browser build).
# Installs it with apt when it is missing and this user can (root or password-less sudo).
# Where it cannot, the browser tests skip with the reason, except under CI=true, where they fail.
set -u
for candidate in /usr/bin/chromium /usr/bin/chromium-browser; do
  [ -x "$candidate" ] && exit 0
done
source "$(dirname "$0")/apt_install.sh"
apt_install ensure_chromium "browser tests will be skipped (they fail under CI=true)." chromium fonts-dejavu-core
