#!/usr/bin/env bash
# The Raspberry Pi build, from a fresh Debian 12 machine: the aarch64 kiosk
# (Slint on DRM/KMS with libinput touch and the software renderer, rppal
# GPIO) and its .deb under target/debian/, plus the central server's .deb
# for arm64. Everything comes from the package registries: Debian's arm64
# dev packages, rustup's target, crates.io (cargo-deb).
#
#   bash deploy/build-pi.sh           # build and package
#   bash deploy/build-pi.sh --test    # also run the aarch64 engine, store
#                                     # and reader-over-pty tests under qemu
set -euo pipefail
cd "$(dirname "$0")/.."
. deploy/packages.sh

TARGET=aarch64-unknown-linux-gnu
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  if [ "$(id -u)" = 0 ]; then
    dpkg --add-architecture arm64
  else
    echo "build-pi.sh: run as root once (dpkg --add-architecture arm64)" >&2
    exit 1
  fi
fi
# The first install of the :arm64 libraries prints "glib-compile-schemas:
# Exec format error" from arm64 GLib's install scripts (no binfmt handler
# for arm64 here): expected and harmless, see deploy/README.md.
dpkg-query -W -f='${Status}' libinput-dev:arm64 2>/dev/null | grep -q "install ok installed" \
  || echo "build-pi.sh: installing the arm64 libraries; a 'glib-compile-schemas: Exec format error' from their install scripts is expected and harmless (deploy/README.md)" >&2
need build-essential pkg-config gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user \
  libudev-dev:arm64 libinput-dev:arm64 libxkbcommon-dev:arm64 libfontconfig-dev:arm64

rustup target list --installed | grep -qx "$TARGET" || rustup target add "$TARGET"

# The cross toolchain and the arm64 pkg-config files.
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
# Test binaries run on the arm64 libc the :arm64 packages installed (-L /):
# with -L /usr/aarch64-linux-gnu, ld.so from the cross sysroot would load
# that libc.so.6 from /lib/aarch64-linux-gnu, a different build, and the
# first thread a program starts hangs.
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -L /"
export CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc
export AR_aarch64_unknown_linux_gnu=aarch64-linux-gnu-ar
export PKG_CONFIG_ALLOW_CROSS=1
export PKG_CONFIG_LIBDIR=/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig
export PKG_CONFIG_SYSROOT_DIR=/

cargo build --release --locked --target "$TARGET" --no-default-features --features pi --bin dutyclock
cargo build --release --locked --target "$TARGET" --no-default-features --features central --bin dutyclock-central
aarch64-linux-gnu-strip "target/$TARGET/release/dutyclock" "target/$TARGET/release/dutyclock-central"

command -v cargo-deb >/dev/null || cargo install --locked cargo-deb --version 2.11.1
cargo deb --target "$TARGET" --no-build --no-strip --output target/debian/
cargo deb --target "$TARGET" --no-build --no-strip --variant central --output target/debian/
ls -l target/debian/*.deb "target/$TARGET/release/dutyclock"

# What the kiosk's package holds: checked, not only listed.
deb=$(ls -t target/debian/dutyclock_*_arm64.deb | head -1)
contents=$(dpkg-deb -c "$deb" | awk '{print $NF}' | sed 's#^\./##')
for f in usr/bin/dutyclock etc/dutyclock/config.toml usr/lib/sysusers.d/dutyclock.conf \
         usr/lib/udev/rules.d/99-dutyclock.rules lib/systemd/system/dutyclock.service; do
  grep -qx "$f" <<<"$contents" || { echo "build-pi.sh: $deb lacks $f" >&2; exit 1; }
done
info=$(dpkg-deb -I "$deb")
grep -q "Architecture: arm64" <<<"$info" || { echo "build-pi.sh: $deb is not arm64" >&2; exit 1; }
grep -q "fonts-wqy-microhei" <<<"$info" || { echo "build-pi.sh: $deb does not depend on a CJK font" >&2; exit 1; }
dpkg-deb -f "$deb" Depends
dpkg-deb -I "$deb" conffiles | grep -qx /etc/dutyclock/config.toml \
  || { echo "build-pi.sh: the config is not a conffile" >&2; exit 1; }
echo "package checked: $deb ($(du -k "$deb" | cut -f1) KiB); binary $(du -k "target/$TARGET/release/dutyclock" | cut -f1) KiB stripped"

if [ "${1:-}" = --test ]; then
  # The engine, the store and the readers' decoders, as aarch64 binaries
  # under qemu user emulation (release: the build above is reused). The
  # readers over real ptys stay on x86: qemu-user (7.2 here, 10.0 in
  # backports alike) does not emulate TCGETS2, which serialport opens every
  # port with, so every pty test fails at open under qemu. Tests that run
  # the dutyclock binary run it through qemu too (DUTYCLOCK_TEST_RUNNER).
  # Bounded: a run that hangs fails, saying so, instead of hanging CI.
  export DUTYCLOCK_TEST_RUNNER="qemu-aarch64 -L /"
  if ! time timeout 900 cargo test --release --locked --target "$TARGET" --no-default-features --features pi \
    --no-fail-fast --lib --test rules --test scenarios --test store --test readers -- --skip over_a_pty --skip replug; then
    echo "build-pi.sh: the aarch64 tests under qemu failed or did not finish in 15 minutes" >&2
    exit 1
  fi
fi
