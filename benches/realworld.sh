#!/usr/bin/env bash
# The real-world table of docs/BENCHMARKS.md: semzip's exact level (self-contained,
# default options, every byte of the .sz file counted) beside zstd -19, xz -9,
# bzip2 -9 and PPMd (7z -m0=PPMd -mx=9 -mmt=1), all measured in this one run on text
# no one in this project wrote, assembled here from the machine (nothing is
# committed): Debian changelogs and man-page sources, /usr/share/common-licenses,
# fortunes and ../shared/corpora/canterbury. Then the short-message rows (shared
# fortunes model against zstd -19 with a dictionary trained on fortunes), through
# `semzip bench`.
#
#   cargo build --release && bash benches/realworld.sh [WORKDIR] [--quick]
#   (SEMZIP=path uses another semzip binary)
#
# --quick leaves out the 20 MB rows (they take minutes each on one core).
# A peer tool that is not installed gets "absent" in its column, never a silent gap.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
semzip=${SEMZIP:-"$root/target/release/semzip"}
work=${1:-/tmp/semzip-realworld}
quick=${2:-}
mkdir -p "$work"
[ -x "$semzip" ] || { echo "build first: cargo build --release" >&2; exit 1; }

# --- the set -----------------------------------------------------------------
src="$work/src"
mkdir -p "$src"
if [ ! -s "$src/changelogs" ]; then
  find /usr/share/doc -name 'changelog*.gz' | sort | while read -r f; do zcat "$f"; done > "$src/changelogs" || true
fi
if [ ! -s "$src/man" ]; then
  find /usr/share/man -name '*.gz' | sort | while read -r f; do zcat "$f"; done > "$src/man" || true
fi
if [ ! -s "$src/licenses" ] && [ -d /usr/share/common-licenses ]; then
  find /usr/share/common-licenses -type f | sort | xargs cat > "$src/licenses"
fi
fort=$(bash "$root/corpora/fetch.sh" 2>/dev/null || true)
if [ -n "$fort" ] && [ ! -s "$src/fortunes" ]; then
  # shellcheck disable=SC2086
  cat $fort > "$src/fortunes"
fi
cant="$root/../shared/corpora/canterbury"
[ -d "$cant" ] || cant=/work/shared/corpora/canterbury
for t in alice29 asyoulik; do
  if [ -f "$cant/$t.txt" ]; then cat "$cant/$t.txt" > "$src/$t"; fi
done

files=()
cut_to() { # name source bytes
  local out="$work/$1"
  local have
  have=$(stat -c %s "$2")
  if [ "$have" -ge "$3" ]; then
    # Start 1 MB in (past the first package's changelog), when there is room.
    local skip=0
    [ "$have" -ge $(( $3 + 1048576 )) ] && skip=1048576
    head -c $(( skip + $3 )) "$2" | tail -c "$3" > "$out"
    files+=("$out")
  fi
}
for s in changelogs man licenses fortunes alice29 asyoulik; do
  [ -s "$src/$s" ] || { echo "# $s: absent on this machine, rows skipped" >&2; continue; }
  cut_to "$s-1k" "$src/$s" 1024
  cut_to "$s-100k" "$src/$s" 102400
  case $s in
    changelogs|man|fortunes) cut_to "$s-1m" "$src/$s" 1048576 ;;
  esac
  case $s in
    alice29|asyoulik|licenses) cat "$src/$s" > "$work/$s-whole"; files+=("$work/$s-whole") ;;
  esac
done
# The long rows last.
if [ "$quick" != "--quick" ]; then
  for s in changelogs man; do
    [ -s "$src/$s" ] && cut_to "$s-20m" "$src/$s" 20000000
  done
fi

# --- the peers -----------------------------------------------------------------
size_of() { # command... < file: bytes out, or "absent"
  if ! command -v "$1" >/dev/null; then echo absent; return; fi
  "$@" | wc -c
}
ppmd() {
  if ! command -v 7z >/dev/null; then echo absent; return; fi
  local a="$work/ppmd.7z"
  rm -f "$a"
  7z a -m0=PPMd -mx=9 -mmt=1 "$a" "$1" >/dev/null
  stat -c %s "$a"
}
ratio() { # ours theirs
  if [ "$2" = absent ]; then echo -; else awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", a/b}'; fi
}

echo "| file | size | semzip exact | zstd -19 | xz -9 | bzip2 -9 | PPMd | semzip / zstd -19 | semzip / PPMd |"
echo "|---|---|---|---|---|---|---|---|---|"
for f in "${files[@]}"; do
  n=$(stat -c %s "$f")
  "$semzip" encode -q -f "$f" -o "$f.sz"
  ours=$(stat -c %s "$f.sz")
  if [ "$n" -le 2000000 ]; then
    "$semzip" decode -q -f "$f.sz" -o "$f.back"
    cmp -s "$f" "$f.back" || { echo "round trip failed: $f" >&2; exit 1; }
  fi
  z=$(size_of zstd -19 -q -c < "$f")
  x=$(size_of xz -9 -c < "$f")
  b=$(size_of bzip2 -9 -c < "$f")
  p=$(ppmd "$f")
  echo "| $(basename "$f") | $n | $ours | $z | $x | $b | $p | $(ratio "$ours" "$z") | $(ratio "$ours" "$p") |"
done

# --- short messages with a shared model ------------------------------------------
if [ -n "$fort" ] && [ -s "$src/alice29" ]; then
  model="$work/fortunes.szm"
  # shellcheck disable=SC2086
  [ -s "$model" ] || "$semzip" train $fort --texts fortunes -o "$model" -f >/dev/null 2>&1
  echo
  echo "Short messages: alice29.txt cut into packets, shared fortunes model, zstd -19 with a dictionary trained on fortunes:"
  "$semzip" bench -m "$model" --runs 1 "$src/alice29" --packet-bytes 1024 256
fi
