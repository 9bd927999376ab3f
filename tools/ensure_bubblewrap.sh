#!/usr/bin/env bash
# Make sure bubblewrap (bwrap) is installed: `cbc-teach grade` runs every student's kernel in its
# sandbox. Installs Debian's package with apt when it is missing and this user can (root or
# password-less sudo). Where it cannot, says so: grading then stops with a message naming the
# package and --no-sandbox, and the sandbox tests fail (they are not skipped).
set -u
command -v bwrap >/dev/null 2>&1 && exit 0
source "$(dirname "$0")/apt_install.sh"
apt_install ensure_bubblewrap "install the Debian package 'bubblewrap' yourself." bubblewrap
