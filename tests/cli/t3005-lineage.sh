#!/bin/bash
# mlake lineage follows a real chain, raw data -> process run -> split ->
# train -> evaluate, up and down through every step, with --depth, and
# renders it as text, JSON, DOT (which Graphviz draws) and Mermaid.
. ./lib.sh

mkdir -p "$TEST_ROOT/export" src
cp "$TESTDATA/iris.csv" "$TEST_ROOT/export/iris.csv"
cat >src/prepare.py <<'EOF'
import csv, sys
with open(sys.argv[1], newline="") as f, open(sys.argv[2], "w", newline="") as g:
    w = csv.writer(g, lineterminator="\n")
    for row in csv.reader(f):
        w.writerow(row[2:])  # petal_length, petal_width, species
EOF
cat >src/train.py <<'EOF'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1])))
model = {}
for label in sorted({r["species"] for r in rows}):
    mine = [r for r in rows if r["species"] == label]
    model[label] = [round(sum(float(r[k]) for r in mine) / len(mine), 4)
                    for k in ("petal_length", "petal_width")]
json.dump(model, open(sys.argv[2], "w"), sort_keys=True)
EOF
cat >src/evaluate.py <<'EOF'
import csv, json, sys
model = json.load(open(sys.argv[1]))
rows = list(csv.DictReader(open(sys.argv[2])))
def predict(r):
    x = (float(r["petal_length"]), float(r["petal_width"]))
    return min(model, key=lambda c: sum((a - b) ** 2 for a, b in zip(x, model[c])))
json.dump({"accuracy": sum(predict(r) == r["species"] for r in rows) / len(rows)},
          open("eval.json", "w"))
EOF

new_lake
# step KIND ARGS...: record a step with --json, printing its node id.
step() {
  expect_success mlake --json "$@"
  json_value 'd["node"]'
}
ingest=$(step ingest "$TEST_ROOT/export/iris.csv" --as data/raw.csv -m "raw export") || exit 1
process=$(step run -m "keep the petals" -i data/raw.csv -o data/clean.csv \
  -- "$PYTHON" src/prepare.py data/raw.csv data/clean.csv) || exit 1
split=$(step split data/clean.csv --train 0.8 --test 0.2 --seed 1 --stratify species -m "hold out") || exit 1
train=$(step run --kind train -m "centroids" -i data/clean.train.csv -o models/model.json \
  -- "$PYTHON" src/train.py data/clean.train.csv models/model.json) || exit 1
evaluate=$(step run --kind evaluate -m "accuracy" -i models/model.json -i data/clean.test.csv \
  -M eval.json -- "$PYTHON" src/evaluate.py models/model.json data/clean.test.csv) || exit 1
snapshot_lake "$TEST_ROOT/snap"

# graph EXPR ARGS...: evaluate EXPR on `mlake lineage ARGS --format json`,
# with d the graph, steps a dict of kind -> ids, versions the version ids.
graph() {
  local expr=$1
  shift
  expect_success mlake lineage "$@" --format json
  expect_json_output
  json_value "(lambda steps, versions: $expr)({k: sorted(s['id'] for s in d['steps'] if s['kind'] == k) for k in set(s['kind'] for s in d['steps'])}, sorted(v['id'] for v in d['versions']))"
}
# reaches FROM TO: whether the last JSON graph has a path of edges FROM -> TO.
reaches() {
  "$PYTHON" -S - "$1" "$2" "$OUT" <<'EOF'
import json, sys
src, dst, path = sys.argv[1], sys.argv[2], sys.argv[3]
d = json.load(open(path))
succ = {}
for e in d["edges"]:
    succ.setdefault(e["from"], []).append(e["to"])
seen, todo = {src}, [src]
while todo:
    for n in succ.get(todo.pop(), []):
        if n not in seen:
            seen.add(n)
            todo.append(n)
sys.exit(0 if dst in seen else 1)
EOF
}

# --- up --------------------------------------------------------------------------------------
check "--up (the default) from the model reaches the raw data through every step"
expect_eq "$(graph 'sorted(steps)' models/model.json)" '["ingest","process","split","train"]' "kinds of the steps"
expect_json 'd["direction"]' up
expect_json 'd["root"]["id"]' models/model.json@1
expect_json 'd["root"]["node"]' "$train"
expect_json 'sorted(v["id"] for v in d["versions"])' \
  '["data/clean.csv@1","data/clean.train.csv@1","data/raw.csv@1","models/model.json@1"]'
expect_json "sorted(s['id'] for s in d['steps']) == sorted(['$ingest', '$process', '$split', '$train'])" true
reaches "$ingest" models/model.json@1 || fail "no path of edges from the ingest to the model"
for e in "$ingest data/raw.csv@1" "data/raw.csv@1 $process" "$process data/clean.csv@1" \
  "data/clean.csv@1 $split" "$split data/clean.train.csv@1" "data/clean.train.csv@1 $train" \
  "$train models/model.json@1"; do
  set -- $e
  expect_json "any(x['from'] == '$1' and x['to'] == '$2' for x in d['edges'])" true
done
expect_json '[c["path"] for s in d["steps"] if s["kind"] == "train" for c in s["code"]]' '["src/train.py"]'
expect_json '[s["command"] for s in d["steps"] if s["kind"] == "process"]' \
  "[[\"$PYTHON\",\"src/prepare.py\",\"data/raw.csv\",\"data/clean.csv\"]]"

check "--up shows what produced it, not what was made from it"
graph '"evaluate" in steps' models/model.json --up >/dev/null
expect_json 'any(s["id"] == "'"$evaluate"'" for s in d["steps"])' false
expect_json 'any(v["id"] == "data/clean.test.csv@1" for v in d["versions"])' false

check "the text form: a tree from the model down to the ingest"
expect_success mlake lineage models/model.json
expect_eq "$(head -1 "$OUT" | cut -d' ' -f1)" models/model.json@1 "first line"
for want in "train ${train:0:10}" "split ${split:0:10}" "process ${process:0:10}" \
  "ingest ${ingest:0:10}" "data/clean.train.csv@1" "data/clean.csv@1" "data/raw.csv@1" \
  "code src/train.py" "code src/prepare.py" '"centroids"'; do
  expect_stdout_contains "$want"
done
grep -n -e "train ${train:0:10}" -e "split ${split:0:10}" -e "process ${process:0:10}" -e "ingest ${ingest:0:10}" "$OUT" |
  cut -d: -f1 | sort -nc || fail "the steps are not in order from the model back to the ingest"

check "--depth N stops N steps after the one that made it"
expect_eq "$(graph 'sorted(steps)' models/model.json --depth 0)" '["train"]' "steps at depth 0"
expect_eq "$(graph 'sorted(steps)' models/model.json --depth 1)" '["split","train"]' "steps at depth 1"
expect_eq "$(graph 'versions' models/model.json --depth 1)" \
  '["data/clean.csv@1","data/clean.train.csv@1","models/model.json@1"]' "versions at depth 1"
expect_eq "$(graph 'sorted(steps)' models/model.json --depth 2)" '["process","split","train"]' "steps at depth 2"
expect_eq "$(graph 'sorted(steps)' models/model.json --depth 3)" '["ingest","process","split","train"]' "steps at depth 3"
expect_success mlake lineage models/model.json --depth 1
expect_stdout_contains "split ${split:0:10}"
expect_stdout_not_contains "process ${process:0:10}"
expect_stdout_not_contains "data/raw.csv"

# --- down ---------------------------------------------------------------------------------------
check "--down from the raw data reaches the evaluation"
expect_eq "$(graph 'sorted(steps)' data/raw.csv --down)" '["evaluate","ingest","process","split","train"]' "kinds of the steps"
expect_json 'd["direction"]' down
expect_json 'd["root"]["id"]' data/raw.csv@1
reaches data/raw.csv@1 "$evaluate" || fail "no path of edges from the raw data to the evaluation"
reaches data/raw.csv@1 models/model.json@1 || fail "no path of edges from the raw data to the model"
reaches data/clean.test.csv@1 "$evaluate" || fail "no edge from the test set to the evaluation"
expect_success mlake lineage data/raw.csv --down
expect_stdout_contains "evaluate ${evaluate:0:10}"
expect_stdout_contains "models/model.json@1"

check "--down --depth 1 stops at the process run"
expect_eq "$(graph 'sorted(steps)' data/raw.csv --down --depth 1)" '["ingest","process"]' "steps"
expect_json 'sorted(v["id"] for v in d["versions"])' '["data/clean.csv@1","data/raw.csv@1"]'

check "--both from the cleaned data: its past and its future"
expect_eq "$(graph 'sorted(steps)' data/clean.csv --both)" '["evaluate","ingest","process","split","train"]' "steps"
expect_json 'd["direction"]' both

# --- references --------------------------------------------------------------------------------
check "a node id, a path from a subfolder, NAME@N"
graph 'sorted(steps)' "${train:0:12}" >/dev/null
expect_json 'd["root"]["type"]' node
expect_json 'sorted(s["kind"] for s in d["steps"])' '["ingest","process","split","train"]'
cd src
expect_eq "$(graph 'sorted(steps)' ../models/model.json)" '["ingest","process","split","train"]' "steps from src/"
cd ..
expect_eq "$(graph 'versions' data/clean.train.csv@1)" \
  '["data/clean.csv@1","data/clean.train.csv@1","data/raw.csv@1"]' "versions of data/clean.train.csv@1"

check "a new split does not change the lineage of the old model"
expect_success mlake split data/clean.csv --train 0.8 --test 0.2 --seed 2 -m "reshuffle"
graph 'versions' models/model.json@1 >/dev/null
expect_json '[v["hash"] for v in d["versions"] if v["id"] == "data/clean.train.csv@1"]' \
  "[\"$(json_value 'd["hash"]' <(mlake --json show data/clean.train.csv@1))\"]"
expect_json 'any(v["id"] == "data/clean.train.csv@2" for v in d["versions"])' false
snapshot_lake "$TEST_ROOT/snap"

# --- renderings ------------------------------------------------------------------------------------
check "--format dot is a digraph with every edge, and Graphviz draws it"
expect_failure 2 mlake lineage data/raw.csv --down --both
n_edges=$(graph 'len(d["edges"])' data/raw.csv --down)
expect_success mlake lineage data/raw.csv --down --format dot
expect_eq "$(head -1 "$OUT")" "digraph lineage {" "first line of the DOT"
expect_eq "$(tail -1 "$OUT")" "}" "last line of the DOT"
expect_eq "$(grep -c ' -> ' "$OUT")" "$n_edges" "edges in the DOT"
expect_stdout_contains "\"$evaluate\""
expect_stdout_contains '"data/raw.csv@1"'
if command -v dot >/dev/null 2>&1; then
  dot -Tsvg "$OUT" >"$TEST_ROOT/lineage.svg" 2>"$TEST_ROOT/dot.err" ||
    fail "dot cannot draw the graph: $(cat "$TEST_ROOT/dot.err")"
  grep -q '<svg' "$TEST_ROOT/lineage.svg" || fail "dot drew no SVG"
  grep -qF "data/raw.csv@1" "$TEST_ROOT/lineage.svg" || fail "the SVG does not name data/raw.csv@1"
  [ -s "$TEST_ROOT/dot.err" ] && fail "dot warned: $(cat "$TEST_ROOT/dot.err")"
else
  echo "dot (Graphviz) is not installed: the DOT output was not drawn"
fi

check "--format mermaid starts with the graph header and has every edge"
n_edges=$(graph 'len(d["edges"])' models/model.json)
expect_success mlake lineage models/model.json --format mermaid
expect_eq "$(head -1 "$OUT")" "flowchart LR" "first line of the Mermaid"
expect_eq "$(grep -c -- ' --> ' "$OUT")" "$n_edges" "edges in the Mermaid"
expect_stdout_contains '"models/model.json@1"'
expect_stdout_contains "train ${train:0:10}"

check "global --json is the JSON format"
expect_success mlake --json lineage models/model.json
expect_json 'd["root"]["id"]' models/model.json@1

check "lineage only reads"
expect_lake_unchanged "$TEST_ROOT/snap"

# --- bad input ---------------------------------------------------------------------------------------
check "unknown artifacts, versions and nodes exit 3"
expect_failure 3 mlake lineage no-such-thing
expect_one_error_line
expect_stderr_contains "'no-such-thing'"
expect_failure 3 mlake lineage models/model.json@9
expect_one_error_line
expect_failure 3 mlake lineage ffffffffffff
expect_one_error_line
check "bad options exit 2"
expect_failure 2 mlake lineage models/model.json --up --down
expect_one_error_line
expect_failure 2 mlake lineage models/model.json --format png
expect_one_error_line
expect_failure 2 mlake lineage models/model.json --depth -1
expect_one_error_line
expect_stderr_contains "mlake: error: --depth must be 0 or more, not '-1'"
expect_stderr_not_contains "range"
expect_failure 2 mlake lineage models/model.json --depth two
expect_one_error_line
expect_stderr_contains "--depth must be 0 or more, not 'two'"
expect_failure 2 mlake lineage
expect_one_error_line
expect_lake_unchanged "$TEST_ROOT/snap"

expect_hints_name_real_commands
pass
