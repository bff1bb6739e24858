#!/usr/bin/env bash
# Makes the real-text corpora available and says where they are.
#  - fortunes: the Debian package `fortunes`, installed here when missing and root;
#  - Canterbury corpus: expected in ../shared/corpora/canterbury (not downloaded).
# Prints one plain fortune file per line on stdout, notes on stderr.
set -euo pipefail

FORTUNES_DIR=/usr/share/games/fortunes
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"

if [ ! -d "$FORTUNES_DIR" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "fetch.sh: installing the Debian package 'fortunes'" >&2
        apt-get update >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y fortunes >&2
    else
        echo "fetch.sh: $FORTUNES_DIR is missing; run as root on Debian/Ubuntu, or: sudo apt-get install fortunes" >&2
    fi
fi

if [ -d "$FORTUNES_DIR" ]; then
    n=0
    bytes=0
    for f in "$FORTUNES_DIR"/*; do
        case "$f" in *.dat | *.u8) continue ;; esac
        # Symlinks point at the offensive set (off/) or at duplicates: skip them.
        [ -L "$f" ] && continue
        [ -f "$f" ] || continue
        echo "$f"
        n=$((n + 1))
        bytes=$((bytes + $(wc -c <"$f")))
    done
    echo "fetch.sh: fortunes: $n plain files, $bytes bytes in $FORTUNES_DIR (licence: see /usr/share/doc/fortunes*/copyright)" >&2
fi

canterbury="$repo/../shared/corpora/canterbury"
if [ -d "$canterbury" ]; then
    echo "fetch.sh: Canterbury corpus present: $(cd "$canterbury" && pwd) ($(ls "$canterbury" | tr '\n' ' '))" >&2
else
    echo "fetch.sh: Canterbury corpus absent ($canterbury); tests that need it will skip" >&2
fi
