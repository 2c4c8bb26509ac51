#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to the kiosk in demo mode:
# installs what is missing (as root), builds, and opens the touchscreen
# window with demo staff and a simulated reader (the on-screen "simulate
# scan" strip, or card ids typed here and Enter). Without a display the
# kiosk says so; `dutyclock run --demo --headless` prints live events instead.
set -euo pipefail
cd "$(dirname "$0")/.."

. deploy/packages.sh
# Build tools with fontconfig's headers (deploy/packages.sh), the CJK font,
# and the X11 libraries winit loads at run time.
need "${BUILD_PACKAGES[@]}" fonts-wqy-microhei libx11-6 libx11-xcb1 libxcursor1 libxi6 libxrandr2 libxkbcommon-x11-0

cargo build --release --locked --bin dutyclock
exec target/release/dutyclock run --demo "$@"
