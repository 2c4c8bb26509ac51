# Sourced by the scripts in deploy/: `need PKG…` installs the Debian
# packages that are missing (as root, non-interactive), or, for another
# user, names them and stops.

# What `cargo build` of the kiosk needs on a fresh Debian 12 (amd64): a C
# compiler and pkg-config for the -sys crates, and the one system library
# a build script looks for: fontconfig (Slint's system fonts, through
# fontique and yeslogic-fontconfig-sys; libfontconfig1 comes with it and is
# what the binary loads). `cargo tree -e build -i pkg-config` lists the
# crates that probe: libsqlite3-sys builds its bundled SQLite, x11-dl and
# tiny-xlib load X11 at run time and build without it.
BUILD_PACKAGES=(build-essential pkg-config libfontconfig-dev)
need() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ]; then
    echo "installing: ${missing[*]}" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  else
    echo "$(basename "$0"): missing Debian packages: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
}
