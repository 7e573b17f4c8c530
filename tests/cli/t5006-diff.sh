#!/bin/bash
# diff: two versions' content (tree diff for folders), metafeatures, and how
# they were made (params, metrics with deltas, inputs, code, environment).
. ./lib.sh

new_lake
mkdir ds && printf 'a,b\n1,2\n' >ds/x.csv && echo y >ds/y.txt
expect_success mlake add ds -m "first"
printf 'a,b,c\n1,2,3\n' >ds/x.csv && rm ds/y.txt && echo z >ds/z.txt
expect_success mlake add ds -m "second"

check "two versions of a folder: files added, removed, changed"
expect_success mlake --json diff ds@1 ds@2
expect_json 'd["content"]["files"]' '{"added":["z.txt"],"changed":[{"from_size":8,"path":"x.csv","to_size":12}],"removed":["y.txt"]}'
expect_success mlake diff ds@1 ds@2
expect_stdout_contains "  A z.txt"
expect_stdout_contains "  D y.txt"
expect_stdout_contains "  M x.csv"
expect_success mlake --json diff ds@2 ds@2
expect_json 'd["content"]["same"]' true

check "two versions of a table: rows, columns, column types"
printf 'a,b\n1,2\n' >t.csv
expect_success mlake add t.csv -m "t1"
printf 'a,b,c\nx,2,3\n4,5,6\n' >t.csv
expect_success mlake add t.csv -m "t2"
expect_success mlake --json diff t.csv@1 t.csv@2
expect_json '(d["metafeatures"]["rows"], d["metafeatures"]["columns"])' '[{"from":1,"to":2},{"from":2,"to":3}]'
expect_json 'd["metafeatures"]["column_changes"]' '{"added":["c"],"removed":[],"retyped":[{"column":"a","from":"integer","to":"text"}]}'

check "two models: params, metrics with deltas, inputs"
cat >train.sh <<'EOF2'
echo "model $1" >model.pt
printf '{"accuracy": %s}\n' "$2" >m.json
EOF2
expect_success mlake run --kind train -i t.csv -o model.pt -p lr=0.1 -M m.json -m "a" -- sh train.sh a 0.8
printf 'a,b,c\n7,8,9\n' >t.csv
expect_success mlake add t.csv -m "t3"
expect_success mlake run --kind train -i t.csv -o model.pt -p lr=0.3 -p depth=4 -M m.json -m "b" -- sh train.sh b 0.85
expect_success mlake --json diff model.pt@1 model.pt@2
expect_json 'd["how"]["params"]' '{"depth":{"from":null,"to":4},"lr":{"from":0.1,"to":0.3}}'
expect_json '(d["how"]["metrics"]["accuracy"]["to"], round(d["how"]["metrics"]["accuracy"]["delta"], 6))' '[0.85,0.05]'
expect_json '[len(d["how"]["inputs"]["from"]), d["how"]["inputs"]["from"] != d["how"]["inputs"]["to"]]' '[1,true]'
expect_success mlake diff model.pt@1 model.pt@2
expect_stdout_contains "param lr: 0.1 -> 0.3"
expect_stdout_contains "metric accuracy: 0.8 -> 0.85 (+0.05)"

check "bad input"
expect_failure 3 mlake diff model.pt@1 nothing@1
expect_failure 3 mlake diff model.pt@1 model.pt@9
expect_failure 2 mlake diff model.pt@1

pass
