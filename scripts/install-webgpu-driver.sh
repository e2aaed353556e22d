#!/usr/bin/env bash
# Installs Mesa's software Vulkan driver (lavapipe) so Dawn finds a WebGPU adapter on a machine
# without a GPU. Debian 12's own Mesa 22 is too old for Dawn; Mesa 25 from bookworm-backports works.
set -euo pipefail
# (grep without -q: with pipefail, grep -q closing the pipe early would fail the check)
if ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1 && ldconfig -p | grep libvulkan.so.1 >/dev/null; then
  echo "install-webgpu-driver: lavapipe already present"; exit 0
fi
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
if . /etc/os-release && [ "${VERSION_CODENAME:-}" = bookworm ]; then
  echo 'deb http://deb.debian.org/debian bookworm-backports main' | $SUDO tee /etc/apt/sources.list.d/bookworm-backports.list >/dev/null
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers libvulkan1
else
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq mesa-vulkan-drivers libvulkan1
fi
