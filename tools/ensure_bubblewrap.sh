#!/usr/bin/env bash
# Make sure bubblewrap (bwrap) is installed: `cbc-teach grade` runs every student's kernel in its
# sandbox. Installs Debian's package with apt when it is missing and this user can (root or
# password-less sudo). Where it cannot, says so: grading then stops with a message naming the
# package and --no-sandbox, and the sandbox tests fail (they are not skipped).
set -u
command -v bwrap >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO="sudo -n"
else
  echo "ensure_bubblewrap: bwrap is missing and this user cannot install packages: install the Debian package 'bubblewrap'." >&2
  exit 0
fi
command -v apt-get >/dev/null 2>&1 || { echo "ensure_bubblewrap: no apt-get; install bubblewrap (bwrap) yourself." >&2; exit 0; }
echo "ensure_bubblewrap: installing Debian's bubblewrap with apt-get"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null && $SUDO apt-get install -y -qq bubblewrap >/dev/null \
  || echo "ensure_bubblewrap: apt-get could not install bubblewrap." >&2
exit 0
