#!/bin/bash
# The index is a projection of the nodes: rebuilt from them, by reindex or
# on its own when index.db is gone, it answers exactly as before.
. ./lib.sh

new_lake
mkdir -p data raw
cp "$TESTDATA/iris.csv" data/iris.csv
printf 'a,b\n1,2\n' >data/small.csv
cp "$TESTDATA/iris.csv" raw/iris.csv
cp "$TESTDATA/train.py" train.py
random_file model.pt 3000 m1

# (paths first: a --tag before them would take them as tags too)
expect_success mlake add data model.pt -m "first import" --owner "Data Team" --tag raw
expect_success mlake add -m "raw copy" --name iris-raw --security public raw/iris.csv
expect_success mlake add -m "code" train.py
random_file model.pt 3100 m2
expect_success mlake add -m $'second model\nbetter' model.pt
expect_success mlake annotate model.pt -m "hand over" --owner alice --tag prod --tag cnn \
  --description "the classifier"
printf 'c,d\n3,4\n' >data/more.csv
expect_success mlake add -m "more data" data
expect_success mlake annotate model.pt -m "untag" --untag cnn --security restricted
expect_success mlake annotate -m "kind" --kind other train.py
random_file model.pt 3200 m3
expect_success mlake add -m "third model" model.pt
# a change in the workspace, for status to report
printf 'edited\n' >data/small.csv

# capture DIR: every query's JSON answer, one file each.
capture() {
  local dir=$1 name id
  mkdir -p "$dir"
  expect_success mlake --json log
  cp "$OUT" "$dir/log"
  expect_success mlake --json log -n 3
  cp "$OUT" "$dir/log-n3"
  expect_success mlake --json list
  cp "$OUT" "$dir/list"
  expect_success mlake --json list --kind dataset
  cp "$OUT" "$dir/list-dataset"
  expect_success mlake --json status
  cp "$OUT" "$dir/status"
  for name in data iris-raw model.pt train.py; do
    expect_success mlake --json show "$name"
    cp "$OUT" "$dir/show-$name"
    expect_success mlake --json show "$name@1"
    cp "$OUT" "$dir/show-$name@1"
    expect_success mlake --json log "$name"
    cp "$OUT" "$dir/log-$name"
  done
  for id in $(ls .mlake/nodes | sed 's/\.json$//'); do
    expect_success mlake --json show "$id"
    cp "$OUT" "$dir/node-$id"
  done
}

# expect_same_answers A B
expect_same_answers() {
  local f
  for f in "$1"/*; do
    cmp -s "$f" "$2/$(basename "$f")" ||
      fail "$(basename "$f") differs:"$'\n'"$(diff "$f" "$2/$(basename "$f")" | head -30)"
  done
  [ "$(ls "$1" | wc -l)" = "$(ls "$2" | wc -l)" ] || fail "not the same set of answers"
}

check "capture every answer"
capture "$TEST_ROOT/before"
expect_eq "$(ls .mlake/nodes | wc -l)" 9 "number of nodes"
"$PYTHON" - "$TEST_ROOT/before" <<'EOF' || fail "the captured answers are not what the history says"
import json, os, sys
d = sys.argv[1]
load = lambda n: json.load(open(os.path.join(d, n)))
log = load("log")
assert len(log) == 9, len(log)
m = load("show-model.pt")
assert m["versions"] == 3 and m["owner"] == "alice" and m["tags"] == ["prod", "raw"], m["tags"]
assert m["security"] == "restricted" and m["description"] == "the classifier", m
assert load("show-train.py")["kind"] == "other"
assert load("show-data")["versions"] == 2 and load("show-data")["tags"] == ["raw"]
assert load("show-iris-raw")["security"] == "public"
s = load("status")
assert s["changes"] == [{"artifact": "data", "change": "modified", "path": "data/small.csv"}], s
EOF

check "reindex of a sound index changes no answer"
expect_success mlake reindex
expect_stdout "indexed 9 node(s)"
capture "$TEST_ROOT/again"
expect_same_answers "$TEST_ROOT/before" "$TEST_ROOT/again"

check "delete index.db*, reindex: every answer is the same"
rm -f .mlake/index.db .mlake/index.db-wal .mlake/index.db-shm
expect_success mlake --json reindex
expect_json 'd["nodes"]' 9
capture "$TEST_ROOT/after-reindex"
expect_same_answers "$TEST_ROOT/before" "$TEST_ROOT/after-reindex"

check "delete index.db* only: the next log rebuilds it and answers the same"
rm -f .mlake/index.db .mlake/index.db-wal .mlake/index.db-shm
expect_success mlake --json log
expect_same_file "$OUT" "$TEST_ROOT/before/log"
expect_file .mlake/index.db
capture "$TEST_ROOT/after-rebuild"
expect_same_answers "$TEST_ROOT/before" "$TEST_ROOT/after-rebuild"

check "delete index.db* only: status and show rebuild it too"
rm -f .mlake/index.db .mlake/index.db-wal .mlake/index.db-shm
expect_success mlake --json status
expect_same_file "$OUT" "$TEST_ROOT/before/status"
rm -f .mlake/index.db .mlake/index.db-wal .mlake/index.db-shm
expect_success mlake --json show model.pt
expect_same_file "$OUT" "$TEST_ROOT/before/show-model.pt"

check "reindex replaces a damaged index.db"
rm -f .mlake/index.db-wal .mlake/index.db-shm
head -c 65536 /dev/urandom >.mlake/index.db
expect_success mlake reindex
expect_stdout "indexed 9 node(s)"
capture "$TEST_ROOT/after-damage"
expect_same_answers "$TEST_ROOT/before" "$TEST_ROOT/after-damage"

check "after the rebuild, the lake works as before"
expect_success mlake fsck
expect_stdout_contains "9 node(s): no faults"
printf 'a,b\n1,2\n' >data/small.csv
expect_success mlake status --exit-code
random_file model.pt 3300 m4
expect_success mlake add -m "fourth model" model.pt
expect_stdout_contains "updated  model.pt  @4"
expect_success mlake --json show model.pt
expect_json 'd["owner"]' alice
expect_json 'd["versions"]' 4
expect_success mlake --json log -n 1
expect_json 'len(d[0]["id"])' 64
newest=$(json_value 'd[0]["id"]')
"$PYTHON" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["parents"]==[sys.argv[2]], d["parents"]' \
  ".mlake/nodes/$newest.json" "$(json_value 'd[0]["id"]' "$TEST_ROOT/before/log")" ||
  fail "the node after the rebuild does not name the old head as its parent"

pass
