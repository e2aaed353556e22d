#!/usr/bin/env bash
# Installs Mesa's software Vulkan driver (lavapipe) so Dawn finds a WebGPU adapter on a machine
# without a GPU. Debian 12's own Mesa 22 is too old for Dawn; Mesa 25 from bookworm-backports works.
set -euo pipefail
# (grep without -q: with pipefail, grep -q closing the pipe early would fail the check)
if ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1 && ldconfig -p | grep libvulkan.so.1 >/dev/null; then
  echo "install-webgpu-driver: lavapipe already present"; exit 0
fi
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
# The Debian mirror this machine already uses: the first URIs: line of a deb822 source whose Suites
# name the release (not the security archive), else the first plain `deb` line of sources.list.
debian_mirror() {
  local f uri
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -e "$f" ] || continue
    uri=$(awk -v rel="$1" '
      /^[[:space:]]*$/ { if (u != "" && s ~ ("(^|[[:space:]])" rel "([[:space:]]|$)")) { print u; exit } u = ""; s = ""; next }
      tolower($1) == "uris:" { u = $2 }
      tolower($1) == "suites:" { $1 = ""; s = $0 }
      END { if (u != "" && s ~ ("(^|[[:space:]])" rel "([[:space:]]|$)")) print u }' "$f" | head -n 1)
    [ -n "$uri" ] && { echo "$uri"; return; }
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -e "$f" ] || continue
    uri=$(awk -v rel="$1" '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } if ($(i + 1) == rel) { print $i; exit } }' "$f")
    [ -n "$uri" ] && { echo "$uri"; return; }
  done
}
if . /etc/os-release && [ "${VERSION_CODENAME:-}" = bookworm ]; then
  MIRROR=$(debian_mirror bookworm)
  if [ -z "$MIRROR" ]; then
    echo "install-webgpu-driver: no apt source for bookworm found to derive the mirror from" >&2; exit 1
  fi
  echo "deb $MIRROR bookworm-backports main" | $SUDO tee /etc/apt/sources.list.d/bookworm-backports.list >/dev/null
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers libvulkan1
else
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq mesa-vulkan-drivers libvulkan1
fi
