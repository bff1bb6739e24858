#!/usr/bin/env bash
# Exact-level time on small files and prose, where a run's fixed cost (priming the
# context-mixing coder) counts: semzip beside zstd -19 and 7z PPMd (-mmt=1), every
# figure the minimum of REPS runs of CPU time (perf's task-clock, startup included),
# all measured in this one run. OLD=path adds the same columns for another semzip
# binary (before/after a change); CODER=ppm (or bwt, cm) forces an exact coder.
#
#   cargo build --release && bash benches/small.sh [semzip binary]
#   CODER=ppm OLD=/tmp/semzip-before bash benches/small.sh
#
# Inputs are cut on the fly from text on this machine (nothing is committed): the
# first 1,000 and 256 bytes of alice29.txt, alice29.txt, asyoulik.txt, 1 MiB of
# Debian changelogs and of man-page sources (from 1 MiB in), and the 1,000-byte
# message again with a shared model trained on fortunes (when installed).
set -u
SZ=${1:-target/release/semzip}
OLD=${OLD:-}
CODER=${CODER:-}
REPS=${REPS:-3}
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
root=$(cd "$(dirname "$0")/.." && pwd)
CANT=${CANTERBURY:-$root/../shared/corpora/canterbury}
[ -d "$CANT" ] || CANT=/work/shared/corpora/canterbury
command -v perf >/dev/null || { echo "perf is needed (task-clock)" >&2; exit 1; }

head -c 1000 "$CANT/alice29.txt" >"$DIR/msg-1000"
head -c 256 "$CANT/alice29.txt" >"$DIR/msg-256"
cp "$CANT/alice29.txt" "$CANT/asyoulik.txt" "$DIR/"
find /usr/share/doc -name 'changelog*.gz' | sort | while read -r f; do zcat "$f"; done 2>/dev/null |
    head -c 2097152 | tail -c 1048576 >"$DIR/changelogs-1m"
find /usr/share/man -name '*.gz' | sort | while read -r f; do zcat "$f"; done 2>/dev/null |
    head -c 2097152 | tail -c 1048576 >"$DIR/man-1m"
model=
fort=$(bash "$root/corpora/fetch.sh" 2>/dev/null || true)
if [ -n "$fort" ]; then
    # shellcheck disable=SC2086
    "$SZ" train $fort --texts fortunes -o "$DIR/fortunes.szm" >/dev/null 2>&1 && model="$DIR/fortunes.szm"
    # shellcheck disable=SC2086
    zstd -q --train $fort -o "$DIR/dict" >/dev/null 2>&1 || true
fi

# Minimum task-clock (ms) over REPS runs of command $1, each after setup $2.
ms() {
    local i t b=
    for ((i = 0; i < REPS; i++)); do
        [ -n "${2:-}" ] && bash -c "$2"
        t=$(bash -c "perf stat -x, -e task-clock $1 2>&1 >/dev/null | grep task-clock | cut -d, -f1")
        if [ -z "$b" ] || awk -v a="$t" -v b="$b" 'BEGIN{exit !(a<b)}'; then b=$t; fi
    done
    printf '%.1f' "$b"
}

# semzip columns for binary $1, input $2, extra encode flags $3: bytes enc dec.
sz_cols() {
    local f=$2 ef="$3 ${CODER:+--coder $CODER}"
    "$1" encode -q -f -T 1 $ef "$f" -o "$f.sz" || { echo "| failed | | "; return; }
    "$1" decode -q -f -T 1 $3 "$f.sz" -o "$f.out"
    cmp -s "$f" "$f.out" || { echo "| ROUND TRIP FAILED | | "; return; }
    local e d
    e=$(ms "'$1' encode -q -f -T 1 $ef '$f' -o '$f.sz'")
    d=$(ms "'$1' decode -q -f -T 1 $3 '$f.sz' -o '$f.out'")
    echo "| $(stat -c %s "$f.sz") | $e | $d "
}

hdr="| input | bytes | semzip bytes | enc ms | dec ms "
[ -n "$OLD" ] && hdr="$hdr| old bytes | old enc ms | old dec ms "
hdr="$hdr| zstd -19 bytes | enc ms | dec ms | PPMd bytes | enc ms | dec ms |"
echo "$hdr"
echo "$hdr" | sed 's/[^|]//g; s/|/|---/g; s/---$//'
rows=(msg-1000 msg-256 alice29.txt asyoulik.txt changelogs-1m man-1m)
[ -n "$model" ] && rows+=(msg-1000-m)
for name in "${rows[@]}"; do
    flags=
    f="$DIR/$name"
    if [ "$name" = msg-1000-m ]; then f="$DIR/msg-1000"; flags="-m $model"; fi
    [ -s "$f" ] || { echo "| $name | input not on this machine |"; continue; }
    line="| $name${flags:+ (-m fortunes)} | $(stat -c %s "$f") $(sz_cols "$SZ" "$f" "$flags")"
    [ -n "$OLD" ] && line="$line$(sz_cols "$OLD" "$f" "$flags")"
    z=
    [ -n "$flags" ] && [ -s "$DIR/dict" ] && z="-D $DIR/dict"
    zstd -q -19 $z -f "$f" -o "$f.zst"
    ze=$(ms "zstd -q -19 $z -f '$f' -o '$f.zst'")
    zd=$(ms "zstd -q -d $z -f '$f.zst' -o '$f.zout'")
    line="$line| $(stat -c %s "$f.zst") | $ze | $zd "
    if command -v 7z >/dev/null; then
        rm -f "$f.7z"
        7z a -m0=PPMd -mx=9 -mmt=1 "$f.7z" "$f" >/dev/null
        pe=$(ms "7z a -m0=PPMd -mx=9 -mmt=1 '$f.7z' '$f'" "rm -f '$f.7z'")
        pd=$(ms "7z e -so '$f.7z'")
        line="$line| $(stat -c %s "$f.7z") | $pe | $pd |"
    else
        line="$line| 7z absent | | |"
    fi
    echo "$line"
done
