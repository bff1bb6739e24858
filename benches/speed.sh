#!/usr/bin/env bash
# Exact-level speed and size beside 7z PPMd (-mmt=1), zstd -19 and xz -9, measured
# side by side in one run (each timing the minimum of REPS runs; user CPU seconds
# and wall), one row per semzip coder: the default (auto: context mixing), the
# block-sorting coder (--coder bwt) and PPM (--coder ppm). Peak RSS is the whole
# process's, one thread.
#
#   bash benches/speed.sh [semzip binary]      (default: target/release/semzip)
#   CODERS="bwt" REPS=1 bash benches/speed.sh  (a subset, quicker)
#   INPUTS="man-20m" bash benches/speed.sh
#
# Inputs are made on the fly from text on this machine (nothing is committed):
# alice29.txt (../shared/corpora/canterbury), 1 MB and 20 MB of Debian changelogs,
# 1 MB and 20 MB of man-page sources, and prose: the fortunes (corpora/fetch.sh)
# with alice29 and asyoulik. Rows for a missing input or tool say so.
set -u
SZ=${1:-target/release/semzip}
REPS=${REPS:-3}
CODERS=${CODERS:-auto bwt ppm}
INPUTS=${INPUTS:-alice29.txt changelog-1m man-1m prose changelog-20m man-20m}
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
CANT=${CANTERBURY:-$(dirname "$0")/../../shared/corpora/canterbury}
[ -d "$CANT" ] || CANT=/work/shared/corpora/canterbury
FORT=/usr/share/games/fortunes

mk() { # name, command producing the bytes
    eval "$2" >"$DIR/$1" 2>/dev/null
    [ -s "$DIR/$1" ] || rm -f "$DIR/$1"
}
mk alice29.txt "cat '$CANT/alice29.txt'"
mk changelog-1m "zcat /usr/share/doc/*/changelog.Debian.gz | head -c 1000000"
mk changelog-20m "zcat /usr/share/doc/*/changelog*.gz | head -c 20000000"
mk man-1m "zcat /usr/share/man/man1/*.gz | head -c 1000000"
mk man-20m "zcat /usr/share/man/man*/*.gz | head -c 20000000"
if [ -d "$FORT" ] && [ -f "$CANT/alice29.txt" ]; then
    mk prose "for f in $FORT/*; do case \$f in *.dat|*.u8) continue;; esac; [ -L \$f ] || cat \$f; done; cat '$CANT/alice29.txt' '$CANT/asyoulik.txt'"
fi

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
rss() { /usr/bin/time -f "%M" bash -c "$1 >/dev/null 2>&1" 2>&1 | tail -1 | awk '{printf "%d", $1/1024}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{if (b>0) printf "%.2f", a/b; else print "-"}'; }
# A speed ratio, or "-" when either time is below the timer's 0.01 s resolution
# (benches/small.sh measures those sizes with perf's task-clock).
speed() { awk -v a="$1" -v b="$2" 'BEGIN{if (a>=0.02 && b>=0.02) printf "%.2f", a/b; else print "-"}'; }

have7z=$(command -v 7z >/dev/null && echo 1 || echo 0)
echo "| input | bytes | coder | semzip B | enc user/wall s | dec user/wall s | peak RSS enc/dec MB | PPMd B | PPMd enc | PPMd dec | zstd -19 B | xz -9 B | semzip/zstd | semzip/PPMd | enc speed vs PPMd | dec speed vs PPMd |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for name in $INPUTS; do
    f="$DIR/$name"
    if [ ! -f "$f" ]; then echo "| $name | input not on this machine | | | | | | | | | | | | | | |"; continue; fi
    n=$(stat -c %s "$f")
    zs=$(zstd -19 -c "$f" | wc -c)
    xs=$(xz -9 -c "$f" | wc -c)
    if [ "$have7z" = 1 ]; then
        rm -f "$f.7z"
        7z a -m0=PPMd -mx=9 -mmt=1 "$f.7z" "$f" >/dev/null
        pe=$(best "rm -f '$f.7z'; 7z a -m0=PPMd -mx=9 -mmt=1 '$f.7z' '$f'")
        pd=$(best "7z e -so '$f.7z'")
        psz=$(stat -c %s "$f.7z")
    else
        pe="-"; pd="-"; psz="7z not installed"
    fi
    for coder in $CODERS; do
        enc="'$SZ' encode -q -f -T 1 --coder $coder '$f' -o '$f.sz'"
        dec="'$SZ' decode -q -f -T 1 '$f.sz' -o '$f.out'"
        eval "$enc" || { echo "| $name | | $coder | semzip encode failed |"; continue; }
        eval "$dec"
        cmp -s "$f" "$f.out" || echo "| $name | | $coder | ROUND TRIP FAILED |"
        se=$(best "$enc")
        sd=$(best "$dec")
        mem="$(rss "$enc")/$(rss "$dec")"
        ssz=$(stat -c %s "$f.sz")
        re="-"; rd="-"
        [ "$have7z" = 1 ] && re=$(speed "${pe%% *}" "${se%% *}") && rd=$(speed "${pd%% *}" "${sd%% *}")
        echo "| $name | $n | $coder | $ssz | ${se/ //} | ${sd/ //} | $mem | $psz | ${pe/ //} | ${pd/ //} | $zs | $xs | $(ratio "$ssz" "$zs") | $(ratio "$ssz" "$psz") | $re | $rd |"
    done
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
