#!/bin/bash
# mlake split: a deterministic train/val/test split of a CSV/TSV version,
# row counts by the fractions, class shares kept with --stratify, recorded
# as a split node.
. ./lib.sh

new_lake
# 100 rows: class a 10, b 30, c 60, spread over the file.
"$PYTHON" - <<'EOF'
import random
rng = random.Random(5)
labels = ["a"] * 10 + ["b"] * 30 + ["c"] * 60
rng.shuffle(labels)
with open("data.csv", "w") as f:
    f.write("id,x,label\n")
    for i, label in enumerate(labels):
        f.write("%d,%d,%s\n" % (i, rng.randint(0, 999), label))
EOF
expect_success mlake --json add -m "the data" data.csv
data_node=$(json_value 'd["node"]')
data_hash=$(sha256_of data.csv)

# rows_of FILE: the rows of a CSV file after its header, sorted.
rows_of() { tail -n +2 "$1" | sort; }
# label_counts FILE: "a=N b=N c=N" for the label column.
label_counts() {
  tail -n +2 "$1" | cut -d, -f3 | sort | uniq -c | awk '{ printf "%s%s=%s", sep, $2, $1; sep = " " }'
}

check "a three-way split: row counts by the fractions, every row in exactly one part"
expect_success mlake --json split data.csv --train 0.6 --val 0.2 --test 0.2 --seed 7 -m "hold out val and test"
expect_json '[(o["artifact"], o["rows"], o["version"]) for o in d["outputs"]]' \
  '[["data.train.csv",60,1],["data.val.csv",20,1],["data.test.csv",20,1]]'
split1=$(json_value 'd["node"]')
hashes1=$(json_value '[o["hash"] for o in d["outputs"]]')
expect_json '[o["hash"] for o in d["outputs"]]' \
  "[\"$(sha256_of data.train.csv)\",\"$(sha256_of data.val.csv)\",\"$(sha256_of data.test.csv)\"]"
for part in train val test; do
  expect_eq "$(head -1 data.$part.csv)" "id,x,label" "header of data.$part.csv"
done
expect_eq "$(($(wc -l <data.train.csv) - 1)) $(($(wc -l <data.val.csv) - 1)) $(($(wc -l <data.test.csv) - 1))" \
  "60 20 20" "rows in the parts"
cat data.train.csv data.val.csv data.test.csv | grep -v '^id,' | sort >"$TEST_ROOT/union"
rows_of data.csv | cmp -s - "$TEST_ROOT/union" || fail "the parts together are not the rows of data.csv"
expect_ne "$(head -3 data.train.csv | tail -2)" "$(sed -n 2,3p data.csv)" "the first rows of train (the split is not random)"

check "the split node reads data.csv@1 and records the seed and fractions"
expect_success mlake --json show "$split1"
expect_json 'd["kind"]' split
expect_json 'd["message"]' "hold out val and test"
expect_json '[(i["artifact"], i["hash"]) for i in d["inputs"]]' "[[\"data.csv\",\"$data_hash\"]]"
expect_json 'd["record"]["inputs"][0]["node"]' "$data_node"
expect_json 'd["record"]["params"]' '{"seed":7,"test":0.2,"train":0.6,"val":0.2}'
expect_json '[o["artifact"] for o in d["outputs"]]' '["data.train.csv","data.val.csv","data.test.csv"]'
expect_success mlake --json show data.test.csv@1
expect_json 'd["how"]["kind"]' split
expect_json 'd["what"]["kind"]' dataset
expect_json 'd["what"]["metafeatures"]["rows"]' 20
expect_eq "$(lock_value data.val.csv node)" "$split1" "node of data.val.csv in mlake.lock"
expect_success mlake status --exit-code

check "the same seed gives the same parts, as new versions"
expect_success mlake --json split data.csv --train 0.6 --val 0.2 --test 0.2 --seed 7 -m "again"
expect_json '[o["hash"] for o in d["outputs"]]' "$hashes1"
expect_json '[o["version"] for o in d["outputs"]]' '[2,2,2]'

check "another seed gives other parts of the same sizes"
expect_success mlake --json split data.csv --train 0.6 --val 0.2 --test 0.2 --seed 8 -m "seed 8"
expect_json '[o["rows"] for o in d["outputs"]]' '[60,20,20]'
expect_json '[o["hash"] == h for o, h in zip(d["outputs"], '"$hashes1"')]' '[false,false,false]'

check "the default seed is 0, and is deterministic too"
expect_success mlake --json split data.csv --train 0.5 --test 0.5 -o seed0a -m "default seed"
expect_success mlake --json split data.csv --train 0.5 --test 0.5 --seed 0 -o seed0b -m "seed 0"
expect_json '[o["path"] for o in d["outputs"]]' '["seed0b/data.train.csv","seed0b/data.test.csv"]'
expect_same_file seed0a/data.train.csv seed0b/data.train.csv
expect_same_file seed0a/data.test.csv seed0b/data.test.csv

check "rows keep their order within a part"
expect_success mlake split data.csv --train 1 --test 0 -o whole -m "everything for training"
expect_same_file data.csv whole/data.train.csv
expect_eq "$(cat whole/data.test.csv)" "id,x,label" "an empty test part"

check "an odd number of rows: the parts still add up"
printf 'n\n1\n2\n3\n4\n5\n6\n7\n' >seven.csv
expect_success mlake add -m "seven" seven.csv
expect_success mlake --json split seven.csv --train 0.5 --test 0.5 -m "halves"
expect_json 'sum(o["rows"] for o in d["outputs"])' 7
expect_json 'sorted(o["rows"] for o in d["outputs"])' '[3,4]'

check "--stratify keeps each class's share in every part"
expect_success mlake --json split data.csv --train 0.6 --val 0.2 --test 0.2 --seed 3 --stratify label -o strat -m "stratified"
expect_json '[o["rows"] for o in d["outputs"]]' '[60,20,20]'
expect_eq "$(label_counts strat/data.train.csv)" "a=6 b=18 c=36" "classes in train"
expect_eq "$(label_counts strat/data.val.csv)" "a=2 b=6 c=12" "classes in val"
expect_eq "$(label_counts strat/data.test.csv)" "a=2 b=6 c=12" "classes in test"
expect_success mlake --json show "$(json_value 'd["node"]')"
expect_json 'd["record"]["params"]["stratify"]' label
for seed in 11 12; do
  expect_success mlake split data.csv --train 0.8 --test 0.2 --seed $seed --stratify label -o strat$seed -m "stratified $seed"
  expect_eq "$(label_counts strat$seed/data.test.csv)" "a=2 b=6 c=12" "classes in test, seed $seed"
done
expect_success mlake --json show strat/data.train.csv@1
expect_json '[(c["value"], c["count"]) for c in d["what"]["metafeatures"]["columns_info"][2]["top"]]' \
  '[["c",36],["b",18],["a",6]]'

check "an older version is split as it was, not the workspace's file"
echo "100,5,a" >>data.csv
expect_success mlake add -m "one more row" data.csv
echo "101,6,b" >>data.csv
expect_success mlake --json split data.csv@1 --train 0.5 --test 0.5 -o old -m "split v1"
expect_json 'sum(o["rows"] for o in d["outputs"])' 100
expect_success mlake --json split data.csv --train 0.5 --test 0.5 -o latest -m "split v2"
expect_json 'sum(o["rows"] for o in d["outputs"])' 101
expect_success mlake checkout --force data.csv

check "a TSV is split into TSV parts; quoted fields with newlines stay whole"
printf 'a\tb\n1\tx\n2\ty\n3\tz\n4\tw\n' >t.tsv
printf 'id,text\n1,"line one\nline two"\n2,"c,d"\n3,e\n4,"say ""hi"""\n' >q.csv
expect_success mlake add -m "tsv and quoted" t.tsv q.csv
expect_success mlake --json split t.tsv --train 0.5 --test 0.5 -m "tsv"
expect_json '[o["path"] for o in d["outputs"]]' '["t.train.tsv","t.test.tsv"]'
expect_eq "$(head -1 t.test.tsv)" $'a\tb' "header of t.test.tsv"
expect_success mlake --json split q.csv --train 0.5 --test 0.5 --seed 2 -m "quoted"
"$PYTHON" - <<'EOF' || fail "the parts of q.csv are not its records"
import csv
def records(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))
whole = records("q.csv")
train, test = records("q.train.csv"), records("q.test.csv")
assert train[0] == test[0] == whole[0]
assert len(train) == 3 and len(test) == 3
assert sorted(train[1:] + test[1:]) == sorted(whole[1:])
EOF

check "an empty line is not a row: it is neither dealt nor copied, as for the metafeatures"
printf 'id,text\n1,a\n2,"multi\nline"\n\n3,c\n4,d\n' >blank.csv
expect_success mlake add -m "with an empty line" blank.csv
expect_success mlake --json show blank.csv@1
expect_json 'd["what"]["metafeatures"]["rows"]' 4
expect_success mlake --json split blank.csv --train 0.5 --test 0.5 -m "blank"
expect_json '[o["rows"] for o in d["outputs"]]' '[2,2]'
grep -qx '' blank.train.csv blank.test.csv && fail "an empty line was copied into a part"
expect_success mlake --json show blank.test.csv@1
expect_json '[d["what"]["metafeatures"][k] for k in ("rows", "blank_lines")]' '[2,0]'

# --- bad input ------------------------------------------------------------------------------
snapshot_lake "$TEST_ROOT/snap"
snapshot_workspace "$TEST_ROOT/ws"
refused() {
  expect_failure "$@"
  expect_one_error_line
  expect_lake_unchanged "$TEST_ROOT/snap"
  expect_workspace_unchanged "$TEST_ROOT/ws"
}
check "fractions that do not add up to 1 exit 2"
refused 2 mlake split data.csv --train 0.7 --test 0.2 -m "x"
expect_stderr_contains "add up"
refused 2 mlake split data.csv --train 0.7 --val 0.2 --test 0.2 -m "x"
check "fractions outside 0..1 exit 2"
refused 2 mlake split data.csv --train 1.2 --test -0.2 -m "x"
refused 2 mlake split data.csv --train abc --test 0.5 -m "x"
check "a missing --train or --test exits 2"
refused 2 mlake split data.csv --train 1 -m "x"
refused 2 mlake split data.csv --test 1 -m "x"
check "--stratify with an unknown column exits 2"
refused 2 mlake split data.csv --train 0.5 --test 0.5 --stratify colour -m "x"
expect_stderr_contains "'colour'"
check "a file that is not CSV or TSV, or a folder, exits 2"
random_file blob.bin 100 blob
mkdir -p folder
echo 'a,b' >folder/x.csv
expect_success mlake add -m "not csv" blob.bin folder
snapshot_lake "$TEST_ROOT/snap"
snapshot_workspace "$TEST_ROOT/ws"
refused 2 mlake split blob.bin --train 0.5 --test 0.5 -m "x"
refused 2 mlake split folder --train 0.5 --test 0.5 -m "x"
check "an unknown artifact or version exits 3"
printf 'u\n1\n' >untracked.csv
snapshot_workspace "$TEST_ROOT/ws"
refused 3 mlake split untracked.csv --train 0.5 --test 0.5 -m "x"
refused 3 mlake split data.csv@9 --train 0.5 --test 0.5 -m "x"
check "a part that would overwrite changes not in the lake exits 2"
echo "my own edit" >>data.train.csv
snapshot_workspace "$TEST_ROOT/ws"
cp data.train.csv "$TEST_ROOT/edited"
refused 2 mlake split data.csv --train 0.5 --test 0.5 -m "x"
expect_stderr_contains "'data.train.csv'"
expect_same_file "$TEST_ROOT/edited" data.train.csv
check "a missing or blank message exits 2"
refused 2 mlake split data.csv --train 0.5 --test 0.5
refused 2 mlake split data.csv --train 0.5 --test 0.5 -m " "

check "the lake is sound"
expect_success mlake fsck
expect_stdout_contains "no faults"

expect_hints_name_real_commands
pass
