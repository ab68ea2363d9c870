#!/usr/bin/env bash
# Makes sure the Debian packages of scripts/debian-packages.txt are installed. Run by
# `make setup` (so by `make run` and `make test`) and by .ci/run.
#   - all installed: says so and exits 0;
#   - some missing, running as root with apt-get: `apt-get update`, then
#     `apt-get install -y --no-install-recommends <missing>`, then checks again;
#   - otherwise: stops (exit 1) with the one `sudo apt-get install ...` line to run.
# Environment:
#   SYSTEM_PACKAGES_FILE=path    the list to check (default: scripts/debian-packages.txt)
#   SYSTEM_PACKAGES_DRY_RUN=1    print the apt-get commands instead of running them
set -euo pipefail

LIST="${SYSTEM_PACKAGES_FILE:-$(dirname "$0")/debian-packages.txt}"
DRY_RUN="${SYSTEM_PACKAGES_DRY_RUN:-0}"

# The names of the list, without comments and blank lines.
mapfile -t packages < <(awk '{ sub(/#.*/, ""); for (i = 1; i <= NF; i++) print $i }' "$LIST")

if ! command -v dpkg-query >/dev/null; then
    echo "system packages: dpkg-query not found; this project's set-up expects Debian 12." >&2
    echo "It needs the equivalents of: ${packages[*]} (see $LIST)." >&2
    exit 1
fi

# Packages of the list that dpkg does not report as installed (unknown names included).
missing_packages() {
    local pkg
    for pkg in "${packages[@]}"; do
        if [ "$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null)" != installed ]; then
            echo "$pkg"
        fi
    done
}

mapfile -t missing < <(missing_packages)
if ((${#missing[@]} == 0)); then
    echo "system packages: all ${#packages[@]} installed ($LIST)"
    exit 0
fi
echo "system packages: missing ${missing[*]}"

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    {
        echo
        echo "Missing Debian packages: ${missing[*]}"
        echo "make setup installs them itself only when it runs as root. Install them once with:"
        echo
        echo "    sudo apt-get install -y --no-install-recommends ${missing[*]}"
        echo
        echo "then run make again."
    } >&2
    exit 1
fi

apt_get=(apt-get -o DPkg::Lock::Timeout=300)
if [ "$DRY_RUN" = 1 ]; then
    echo "system packages: dry run (SYSTEM_PACKAGES_DRY_RUN=1), would run:"
    echo "    ${apt_get[*]} update -qq"
    echo "    ${apt_get[*]} install -y -qq --no-install-recommends ${missing[*]}"
    exit 0
fi

echo "system packages: installing ${missing[*]} (apt-get; this can take a few minutes)"
export DEBIAN_FRONTEND=noninteractive
apt_log=$(mktemp)
if ! { "${apt_get[@]}" update -qq \
       && "${apt_get[@]}" install -y -qq --no-install-recommends "${missing[@]}"; } </dev/null >"$apt_log" 2>&1; then
    cat "$apt_log" >&2
    rm -f "$apt_log"
    echo "system packages: apt-get failed (output above)" >&2
    exit 1
fi
rm -f "$apt_log"

mapfile -t still_missing < <(missing_packages)
if ((${#still_missing[@]})); then
    echo "system packages: still missing after apt-get: ${still_missing[*]}" >&2
    exit 1
fi
echo "system packages: installed ${missing[*]}"
