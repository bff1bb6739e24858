#!/usr/bin/env bash
# Exact-level speed and size beside 7z PPMd (-mmt=1) and zstd -19, measured side by
# side in one run (each timing the minimum of REPS runs; user CPU seconds and wall).
#
#   bash benches/speed.sh [semzip binary]      (default: target/release/semzip)
#
# Inputs are made on the fly from text on this machine (nothing is committed):
# alice29.txt (../shared/corpora/canterbury), 1 MB and 20 MB of Debian changelogs,
# 1 MB of man-page sources. Rows for a missing input or tool say so.
set -u
SZ=${1:-target/release/semzip}
REPS=${REPS:-3}
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
CANT=${CANTERBURY:-$(dirname "$0")/../../shared/corpora/canterbury}
[ -d "$CANT" ] || CANT=/work/shared/corpora/canterbury

mk() { # name, command producing the bytes
    eval "$2" >"$DIR/$1" 2>/dev/null
    [ -s "$DIR/$1" ] || rm -f "$DIR/$1"
}
mk alice29.txt "cat '$CANT/alice29.txt'"
mk changelog-1m "zcat /usr/share/doc/*/changelog.Debian.gz | head -c 1000000"
mk changelog-20m "zcat /usr/share/doc/*/changelog*.gz | head -c 20000000"
mk man-1m "zcat /usr/share/man/man1/*.gz | head -c 1000000"

# min over REPS of "user wall" for a command (output discarded).
best() {
    local b_u=999999 b_w=999999 i u w
    for ((i = 0; i < REPS; i++)); do
        read -r u w < <(/usr/bin/time -f "%U %e" bash -c "$1 >/dev/null 2>&1" 2>&1 | tail -1)
        b_u=$(awk -v a="$u" -v b="$b_u" 'BEGIN{print (a<b)?a:b}')
        b_w=$(awk -v a="$w" -v b="$b_w" 'BEGIN{print (a<b)?a:b}')
    done
    echo "$b_u $b_w"
}

have7z=$(command -v 7z >/dev/null && echo 1 || echo 0)
echo "| input | bytes | semzip exact | enc user/wall s | dec user/wall s | PPMd (7z -mmt=1) | enc user/wall s | dec user/wall s | zstd -19 | enc speed semzip/PPMd | dec speed semzip/PPMd |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for name in alice29.txt changelog-1m changelog-20m man-1m; do
    f="$DIR/$name"
    if [ ! -f "$f" ]; then echo "| $name | input not on this machine | | | | | | | | | |"; continue; fi
    n=$(stat -c %s "$f")
    "$SZ" encode -q -f -T 1 "$f" -o "$f.sz" || { echo "| $name | semzip encode failed |"; continue; }
    "$SZ" decode -q -f -T 1 "$f.sz" -o "$f.out"
    cmp -s "$f" "$f.out" || echo "| $name | ROUND TRIP FAILED |"
    se=$(best "'$SZ' encode -q -f -T 1 '$f' -o '$f.sz'")
    sd=$(best "'$SZ' decode -q -f -T 1 '$f.sz' -o '$f.out'")
    ssz=$(stat -c %s "$f.sz")
    zs=$(zstd -19 -c "$f" | wc -c)
    if [ "$have7z" = 1 ]; then
        rm -f "$f.7z"
        7z a -m0=PPMd -mx=9 -mmt=1 "$f.7z" "$f" >/dev/null
        pe=$(best "rm -f '$f.7z'; 7z a -m0=PPMd -mx=9 -mmt=1 '$f.7z' '$f'")
        pd=$(best "7z e -so '$f.7z'")
        psz=$(stat -c %s "$f.7z")
        re=$(awk -v a="${pe%% *}" -v b="${se%% *}" 'BEGIN{printf "%.2f", (b>0)?a/b:0}')
        rd=$(awk -v a="${pd%% *}" -v b="${sd%% *}" 'BEGIN{printf "%.2f", (b>0)?a/b:0}')
    else
        pe="-"; pd="-"; psz="7z not installed"; re="-"; rd="-"
    fi
    echo "| $name | $n | $ssz | ${se/ //} | ${sd/ //} | $psz | ${pe/ //} | ${pd/ //} | $zs | $re | $rd |"
done

# Packets in parallel: a multi-packet file at -T 1 and -T 2 (wall seconds).
f="$DIR/changelog-1m"
if [ -f "$f" ]; then
    for t in 1 2; do
        w1=$(best "'$SZ' encode -q -f -T $t --packet-bytes 262144 '$f' -o '$f.p.sz'")
        w2=$(best "'$SZ' decode -q -f -T $t '$f.p.sz' -o '$f.p.out'")
        echo "parallel: changelog-1m in 4 packets, -T $t: encode user/wall ${w1/ //} s, decode ${w2/ //} s"
    done
fi
