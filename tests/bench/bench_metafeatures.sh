#!/usr/bin/env bash
# Metafeatures benchmark: throughput and peak memory of computing the
# metafeatures of a 200 MB CSV, next to tools that only read the file.
#
#   tests/bench/bench_metafeatures.sh path/to/mlake_bench_metafeatures [path/to/mlake]
#
# The first program is built from tests/bench/metafeatures_bench.cpp (target
# mlake_bench_metafeatures). With the second, `mlake add` of the file into
# a fresh lake is timed as well.
#
# Environment:
#   BENCH_DIR   where to keep the data (default: a new folder in /tmp)
#   BENCH_RUNS  runs per measurement; the median time is shown (default 3)
#   BENCH_MB    size of the CSV in MB (default 200)
#
# The data is deterministic (Python's seeded random): ten columns of
# integers, prices, scores, cities, labels, booleans, free text (a fifth of
# it quoted, with commas and doubled quotes), dates, and ratios with 5%
# missing. Peak memory is the maximum resident set size (/usr/bin/time); it
# must not grow with BENCH_MB.
set -euo pipefail

if [ $# -lt 1 ]; then
  echo "usage: $0 path/to/mlake_bench_metafeatures [path/to/mlake]" >&2
  exit 2
fi
bench=$(realpath "$1")
mlake=${2:+$(realpath "$2")}
runs=${BENCH_RUNS:-3}
mb=${BENCH_MB:-200}
root=${BENCH_DIR:-$(mktemp -d /tmp/mlake-bench-mf.XXXXXX)}
mkdir -p "$root"
[ -n "${BENCH_DIR:-}" ] || trap 'rm -rf "$root"' EXIT
export MLAKE_USER_NAME=bench MLAKE_USER_EMAIL=bench@example.org

say() { printf '%s\n' "$*" >&2; }

# --- data ---------------------------------------------------------------
data="$root/data-${mb}mb.csv"
if [ ! -f "$data" ]; then
  say "making ${mb} MB of CSV in $data ..."
  python3 - "$data" "$((mb * 1000 * 1000))" <<'PY'
import random, sys
path, size = sys.argv[1], int(sys.argv[2])
r = random.Random(20240611)
cities = ["Amsterdam", "Berlin", "Cairo", "Delhi", "Edinburgh", "Florence",
          "Geneva", "Helsinki", "Istanbul", "Jakarta", "Kyoto", "Lagos",
          "Madrid", "Nairobi", "Oslo", "Paris", "Quito", "Rome", "Seoul",
          "Toronto", "Utrecht", "Vienna", "Warsaw", "Xi'an", "Yerevan",
          "Zurich", "São Paulo", "Reykjavík", "Kraków", "Montréal"]
labels = ["setosa", "versicolor", "virginica", "other", "unknown"]
words = ["alpha", "beta", "gamma", "delta", "model", "lake", "data", "row",
         "value", "train", "test", "split", "good", "bad", "noisy"]
with open(path, "w", newline="", encoding="utf-8") as f:
    f.write("id,age,income,score,city,label,active,note,day,ratio\n")
    written, i, rows = 0, 0, []
    while written < size:
        i += 1
        rnd = r.random
        note = " ".join(words[int(rnd() * 15)]
                        for _ in range(1 + int(rnd() * 4)))
        if rnd() < 0.2:
            note = '"' + note + ', ""quoted""' + '"'
        ratio = "NA" if rnd() < 0.05 else "%.4f" % rnd()
        line = "%d,%d,%.2f,%.6f,%s,%s,%s,%s,2024-%02d-%02d,%s\n" % (
            i, 18 + int(rnd() * 72), rnd() * 150000, rnd() * 2 - 1,
            cities[int(rnd() * 30)], labels[int(rnd() * 5)],
            "true" if rnd() < 0.5 else "false", note,
            1 + int(rnd() * 12), 1 + int(rnd() * 28), ratio)
        rows.append(line)
        written += len(line.encode())
        if len(rows) == 10000:
            f.write("".join(rows))
            rows = []
    f.write("".join(rows))
PY
fi
bytes=$(stat -c %s "$data")
# Every tool reads from a warm page cache.
cat "$data" > /dev/null

# --- measuring ----------------------------------------------------------
# measure N CMD...: run CMD N times; print the median wall time in seconds
# and the largest peak RSS in KiB.
measure() {
  local n=$1 times=() rss=0
  shift
  for _ in $(seq "$n"); do
    local start end m
    start=$(date +%s.%N)
    /usr/bin/time -f %M -o "$root/rss" "$@" > /dev/null 2> "$root/err" ||
      { say "failed: $*"; cat "$root/err" >&2; echo "nan 0"; return; }
    end=$(date +%s.%N)
    times+=("$(awk -v s="$start" -v e="$end" 'BEGIN { print e - s }')")
    m=$(tail -n 1 "$root/rss")
    [ "$m" -gt "$rss" ] && rss=$m
  done
  printf '%s\n' "${times[@]}" | sort -g | awk -v rss="$rss" '{a[NR]=$1} END {
    t = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
    print t, rss }'
}

results=()
ref_seconds=
row() { # name, "seconds rss"
  local seconds=${2% *} rss=${2#* }
  results+=("$(awk -v name="$1" -v t="$seconds" -v rss="$rss" -v b="$bytes" \
    -v ref="$ref_seconds" 'BEGIN {
      if (t == "nan") { printf "%-36s %8s\n", name, "failed"; exit }
      ratio = (ref != "" && ref > 0) ? sprintf("%.2fx", t / ref) : "-"
      printf "%-36s %8.3f %9.1f %9.1f %9s\n", name, t, b / t / 1e6,
        rss / 1024, ratio }')")
}

say "metafeatures (library) ..."
m=$(measure "$runs" "$bench" "$data" --target label)
ref_seconds=${m% *}
row "mlake metafeatures (library)" "$m"
say "CSV parsing alone ..."
row "mlake CsvReader, parse only" "$(measure "$runs" "$bench" "$data" --read-only)"
say "wc -l ..."
row "wc -l" "$(measure "$runs" wc -l "$data")"
say "python3 csv.reader ..."
row "python3 csv.reader (rows only)" "$(measure "$runs" python3 -c '
import csv, sys
n = 0
with open(sys.argv[1], newline="", encoding="utf-8") as f:
    for row in csv.reader(f):
        n += 1
print(n)' "$data")"
if python3 -c 'import pandas' 2> /dev/null; then
  say "pandas ..."
  row "pandas read_csv + describe" "$(measure 1 python3 -c '
import sys, pandas
print(pandas.read_csv(sys.argv[1]).describe(include="all"))' "$data")"
fi

added=
if [ -n "$mlake" ]; then
  say "mlake add ..."
  lake="$root/lake"
  rm -rf "$lake"
  mkdir -p "$lake"
  (cd "$lake" && "$mlake" init -q)
  cp --reflink=never "$data" "$lake/data.csv"
  sync
  # One run: a second add of the same file would find it unchanged.
  m=$(cd "$lake" && measure 1 "$mlake" add data.csv -m bench -q)
  row "mlake add (hash, store, metafeatures)" "$m"
  if (cd "$lake" && "$mlake" show data.csv --json) 2> /dev/null |
    python3 -c 'import json, sys; d = json.load(sys.stdin); sys.exit(0 if "metafeatures" in json.dumps(d) else 1)'; then
    added="mlake add recorded the metafeatures"
  else
    added="note: 'mlake show data.csv --json' holds no metafeatures yet"
  fi
fi

echo
echo "$((bytes / 1000000)) MB CSV, $(nproc) CPUs ($(lscpu | sed -n 's/^Model name: *//p')), median of $runs runs"
printf '%-36s %8s %9s %9s %9s\n' case seconds MB/s "peak MiB" "time/mf"
for r in "${results[@]}"; do
  echo "$r"
done
echo "(time/mf: the case's time over the library's; above 1x is slower"
echo " than computing the metafeatures, below 1x faster)"
[ -z "$added" ] || echo "$added"
