#!/usr/bin/env bash
# apt_install TAG HINT PACKAGE...: install Debian packages with apt-get where this user can (root
# or password-less sudo). Never fails the caller: where it cannot install, it prints
# "TAG: ... HINT" on stderr and returns 0. Sourced by tools/ensure_*.sh.
apt_install() {
  local tag=$1 hint=$2 sudo
  shift 2
  if [ "$(id -u)" = 0 ]; then
    sudo=""
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo="sudo -n"
  else
    echo "$tag: $* missing and this user cannot install packages; $hint" >&2
    return 0
  fi
  command -v apt-get >/dev/null 2>&1 || { echo "$tag: no apt-get; $hint" >&2; return 0; }
  echo "$tag: installing Debian's $* with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq >/dev/null && $sudo apt-get install -y -qq "$@" >/dev/null \
    || echo "$tag: apt-get could not install $*; $hint" >&2
  return 0
}
