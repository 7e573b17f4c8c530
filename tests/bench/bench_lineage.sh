#!/usr/bin/env bash
# Lineage capture benchmarks: the overhead 'mlake run' adds to a command,
# and 'mlake lineage' on synthetic lakes of 100,000 nodes (a chain, a fan).
#
#   tests/bench/bench_lineage.sh [path/to/mlake]
#
# BENCH_RUNS (default 20) runs per measurement, median shown; BENCH_NODES
# (default 100000) nodes per synthetic lake.
set -euo pipefail
mlake=$(realpath "${1:-$(dirname "$0")/../../build/mlake}")
here=$(cd "$(dirname "$0")" && pwd)
runs=${BENCH_RUNS:-20}
nodes=${BENCH_NODES:-100000}
root=$(mktemp -d /tmp/mlake-bench-lineage.XXXXXX)
trap 'rm -rf "$root"' EXIT
export MLAKE_USER_NAME=bench MLAKE_USER_EMAIL=bench@example.org HOME="$root"
say() { printf '%s\n' "$*" >&2; }

# median_ms N CMD: median wall time of CMD over N runs, in milliseconds.
median_ms() {
  local n=$1 cmd=$2 times=()
  for _ in $(seq "$n"); do
    local start end
    start=$(date +%s%N)
    bash -c "$cmd" > /dev/null 2>&1 || { say "failed: $cmd"; echo nan; return; }
    end=$(date +%s%N)
    times+=("$(( (end - start) / 1000 ))")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {
    m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
    printf "%.1f", m / 1000 }'
}

results=()
row() { results+=("$(printf '%-44s %10s  %-22s %10s  %s' "$@")"); }

say "run overhead ..."
mkdir -p "$root/run" && cd "$root/run"
git init -q . && "$mlake" init -q
t_true=$(median_ms "$runs" "true")
t_run=$(median_ms "$runs" "cd $root/run && $mlake run -q -m bench -- true")
added=$(awk -v a="$t_run" -v b="$t_true" 'BEGIN { printf "%.1f", a - b }')
row "mlake run -- true (ms)" "$t_run" "true alone (ms)" "$t_true" "added ${added} ms; target < 20 ms"
if command -v datalad > /dev/null; then
  datalad create -q "$root/dl"
  t_dl=$(median_ms 5 "cd $root/dl && datalad run -m bench true")
  row "mlake run -- true (ms)" "$t_run" "datalad run true (ms)" "$t_dl" ""
else
  row "mlake run -- true (ms)" "$t_run" "datalad run (ms)" "skipped" "(datalad not installed)"
fi

for shape in chain fan; do
  say "lineage on a $shape of $nodes nodes ..."
  lake="$root/$shape"
  mkdir -p "$lake" && cd "$lake" && "$mlake" init -q
  python3 "$here/make_synthetic_lake.py" "$lake" "$nodes" "$shape"
  "$mlake" reindex -q
  if [ "$shape" = chain ]; then
    tip="data/step$((nodes - 1)).csv"
    up_ref=$tip down_ref="data/raw.csv"
  else
    up_ref="models/model$((nodes / 2)).bin" down_ref="data/raw.csv"
  fi
  for fmt in json text; do
    t_up=$(median_ms 5 "cd $lake && $mlake lineage $up_ref --up --format $fmt")
    t_down=$(median_ms 5 "cd $lake && $mlake lineage $down_ref --down --format $fmt")
    row "lineage --up, $shape of $nodes, $fmt (ms)" "$t_up" "" "" "target < 50 ms"
    row "lineage --down, $shape of $nodes, $fmt (ms)" "$t_down" "" "" "target < 50 ms"
  done
  t_depth=$(median_ms 5 "cd $lake && $mlake lineage $up_ref --up --depth 3")
  row "lineage --up --depth 3, $shape (ms)" "$t_depth" "" "" ""
done

echo
echo "mlake lineage benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, medians"
printf '%s\n' "${results[@]}"
