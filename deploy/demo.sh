#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to the kiosk in demo mode:
# installs what is missing (as root), builds, and opens the touchscreen
# window with demo staff and a simulated reader (the on-screen "simulate
# scan" strip, or card ids typed here and Enter). Without a display the
# kiosk says so; `dutyclock run --demo --headless` prints live events instead.
set -euo pipefail
cd "$(dirname "$0")/.."

# Build tools, the CJK font, and the X11 libraries winit loads at run time.
pkgs=(build-essential pkg-config fonts-wqy-microhei libx11-6 libx11-xcb1 libxcursor1 libxi6 libxrandr2 libxkbcommon-x11-0)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  else
    echo "demo: please install: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

cargo build --release --locked --bin dutyclock
exec target/release/dutyclock run --demo "$@"
