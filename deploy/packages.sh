# Sourced by the scripts in deploy/: `need PKG…` installs the Debian
# packages that are missing (as root, non-interactive), or, for another
# user, names them and stops.
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
