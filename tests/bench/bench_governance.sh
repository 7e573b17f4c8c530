#!/usr/bin/env bash
# Governance benchmarks: search, audit and card on a synthetic lake of about 100,000
# nodes (7,692 projects of 13 nodes: add, annotate, 8 train runs, evaluate,
# approve, promote; see make_governance_lake.py); then the same after a
# purge of one project's data, whose models are then tainted.
#
#   tests/bench/bench_governance.sh [path/to/mlake]
#
# BENCH_RUNS (default 10) runs per measurement, median shown; BENCH_NODES
# (default 100000).
set -euo pipefail
mlake=$(realpath "${1:-$(dirname "$0")/../../build/mlake}")
here=$(cd "$(dirname "$0")" && pwd)
runs=${BENCH_RUNS:-10}
nodes=${BENCH_NODES:-100000}
root=$(mktemp -d /tmp/mlake-bench-governance.XXXXXX)
trap 'chmod -R u+w "$root"; rm -rf "$root"' EXIT
export MLAKE_USER_NAME=bench MLAKE_USER_EMAIL=bench@example.org HOME="$root"
say() { printf '%s\n' "$*" >&2; }

median_ms() {
  local n=$1 cmd=$2 times=()
  for _ in $(seq "$n"); do
    local start end
    start=$(date +%s%N)
    bash -c "$cmd" > /dev/null 2>&1
    local rc=$?
    end=$(date +%s%N)
    # audit exits 1 when it finds violations: that is a result
    [ $rc -le 1 ] || { say "failed ($rc): $cmd"; echo nan; return; }
    times+=("$(( (end - start) / 1000 ))")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {
    m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
    printf "%.1f", m / 1000 }'
}
results=()
row() { results+=("$(printf '%-58s %10s  %s' "$@")"); }

lake=$root/lake
mkdir -p "$lake" && cd "$lake" && "$mlake" init -q
say "writing a lake of about $nodes nodes ..."
made=$(python3 "$here/make_governance_lake.py" "$lake" "$nodes")
start=$(date +%s%N)
"$mlake" reindex -q
end=$(date +%s%N)
row "reindex of $made nodes (ms)" "$(( (end - start) / 1000000 ))" ""
cat > .mlake/policy.yaml <<'POLICY'
required_metadata:
  dataset: [owner, description]
approved_inputs: true
max_security:
  production: confidential
POLICY

t_version=$(median_ms "$runs" "cd $lake && $mlake --version")
row "mlake --version: process start-up (ms)" "$t_version" ""
t=$(median_ms "$runs" "cd $lake && $mlake search Diabetes prediction")
row "search 'Diabetes prediction' (ms)" "$t" "target < 100 ms"
t=$(median_ms "$runs" "cd $lake && $mlake search churn")
row "search churn (~5% of projects match, top 20) (ms)" "$t" "target < 100 ms"
t=$(median_ms "$runs" "cd $lake && $mlake search --kind model --param optimizer=adam --metric 'accuracy>=0.9'")
row "search --kind model --param --metric, no words (ms)" "$t" "target < 100 ms"
t=$(median_ms "$runs" "cd $lake && $mlake search --kind train --param optimizer=adam --metric 'accuracy>=0.95'")
row "search --kind train --param --metric, nothing matches (ms)" "$t" "target < 100 ms"
t=$(median_ms "$runs" "cd $lake && $mlake search fraud --owner team7 --kind dataset")
row "search fraud --owner --kind (ms)" "$t" "target < 100 ms"
t=$(median_ms "$runs" "cd $lake && $mlake audit models/p0/model.bin@production")
row "audit model@production with a policy (ms)" "$t" "target < 100 ms"
t=$(median_ms "$runs" "cd $lake && $mlake audit models/p$((made / 26))/model.bin")
row "audit another project's model (ms)" "$t" "target < 100 ms"
t=$(median_ms "$runs" "cd $lake && $mlake card models/p0/model.bin@production")
row "card model@production, Markdown (ms)" "$t" "target < 100 ms"
t=$(median_ms "$runs" "cd $lake && $mlake show models/p0/model.bin@production")
row "show model@production (ms)" "$t" ""

# Erasure: the data of project 0 goes; its 8 models, their evaluation,
# approval and promotion are tainted from then on.
echo "no_purged_data: true" >> .mlake/policy.yaml
start=$(date +%s%N)
"$mlake" purge data/p0/diabetes.csv@1 --reason "erasure request" -q
end=$(date +%s%N)
row "purge data/p0/diabetes.csv@1 (ms)" "$(( (end - start) / 1000000 ))" ""
t=$(median_ms "$runs" "cd $lake && $mlake show models/p0/model.bin@production")
row "show of the tainted model@production (ms)" "$t" "target < 100 ms"
t=$(median_ms "$runs" "cd $lake && $mlake audit models/p0/model.bin@production")
row "audit of the tainted model@production (ms)" "$t" "target < 100 ms"
t=$(median_ms "$runs" "cd $lake && $mlake card models/p0/model.bin@production")
row "card of the tainted model@production (ms)" "$t" "target < 100 ms"
t=$(median_ms "$runs" "cd $lake && $mlake lineage --down data/p0/diabetes.csv@1")
row "lineage --down of the purged data (ms)" "$t" ""
t=$(median_ms "$runs" "cd $lake && $mlake audit models/p$((made / 26))/model.bin")
row "audit of an untainted model, with a purge in the lake (ms)" "$t" "target < 100 ms"

echo
echo "mlake governance benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $made nodes, medians of $runs"
printf '%s\n' "${results[@]}"
