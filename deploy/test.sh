#!/usr/bin/env bash
# Runs every test on a fresh Debian 12 machine with Rust: first installs
# the system packages the tests need (as root; another user is told which
# to install), then `cargo test --locked`. Extra arguments go to cargo test.
set -euo pipefail
cd "$(dirname "$0")/.."
. deploy/packages.sh

# Build tools (rusqlite's bundled SQLite, serialport) and the CJK font the
# touchscreen tests check their glyphs with.
need build-essential pkg-config ca-certificates fonts-wqy-microhei

exec cargo test --locked "$@"
