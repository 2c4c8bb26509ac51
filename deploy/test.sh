#!/usr/bin/env bash
# Runs every test on a fresh Debian 12 machine with Rust: first installs
# the system packages the tests need (as root; another user is told which
# to install), starts a throwaway PostgreSQL cluster for the central
# server's tests (stopped afterwards), then
# `cargo test --locked --features central`. Extra arguments go to cargo test.
# Then the Raspberry Pi build: the aarch64 kiosk and central .debs, their
# contents checked, and the aarch64 engine, store and reader tests under
# qemu (deploy/build-pi.sh --test; about 17 minutes the first time).
# DUTYCLOCK_SKIP_PI=1 leaves that out, and says so.
set -euo pipefail
cd "$(dirname "$0")/.."
. deploy/packages.sh

# Build tools (rusqlite's bundled SQLite, serialport), fontconfig's headers
# (Slint's system fonts: fontique links libfontconfig through
# yeslogic-fontconfig-sys, the one -sys crate of the host build that probes
# pkg-config for a system library), the CJK font the touchscreen tests check
# their glyphs with, PostgreSQL, and e2fsprogs (the read-only disk test makes
# ext4 in a loop device), and Chromium with its WebDriver (the bureau's pages
# are tested in a real browser).
need "${BUILD_PACKAGES[@]}" ca-certificates fonts-wqy-microhei postgresql e2fsprogs chromium chromium-driver

bash deploy/with-postgres.sh cargo test --locked --features central "$@"

if [ "${DUTYCLOCK_SKIP_PI:-}" = 1 ]; then
  echo "test.sh: SKIPPED the Raspberry Pi build and its qemu tests (DUTYCLOCK_SKIP_PI=1)" >&2
else
  bash deploy/build-pi.sh --test
fi
