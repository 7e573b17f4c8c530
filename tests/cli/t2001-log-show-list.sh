#!/bin/bash
# log, show, list and annotate.
. ./lib.sh

new_lake
check "list of an empty lake"
expect_success mlake list
expect_stdout "no artifacts yet: record some with 'mlake add'"
expect_success mlake log
expect_stdout_empty

mkdir -p data raw
cp "$TESTDATA/iris.csv" data/iris.csv
printf 'a,b\n1,2\n' >data/small.csv
cp "$TESTDATA/iris.csv" raw/iris.csv
cp "$TESTDATA/train.py" train.py
random_file model.pt 2048 model-1

# add_node ARGS...: mlake --json add ARGS, printing the new node's id.
add_node() {
  expect_success mlake --json add "$@"
  json_value 'd["node"]'
}
n1=$(add_node -m "first import" data model.pt) || exit 1
random_file model.pt 2100 model-2
n2=$(add_node -m $'retrained the model\nwith more epochs' model.pt) || exit 1
n3=$(add_node -m "raw download" --name iris-raw raw/iris.csv) || exit 1
n4=$(add_node -m "the training script" train.py) || exit 1
h1=$(lock_value data hash)
m2=$(sha256_of model.pt)
m1=$("$PYTHON" -c 'import json,sys; print([o for o in json.load(open(sys.argv[1]))["outputs"] if o["artifact"]=="model.pt"][0]["hash"])' ".mlake/nodes/$n1.json")

# --- log ---------------------------------------------------------------------------
check "log lists the nodes newest first"
expect_success mlake --json log
expect_json '[n["id"] for n in d]' "[\"$n4\",\"$n3\",\"$n2\",\"$n1\"]"
expect_success mlake log
expect_eq "$(sed -n 's/^node \([0-9a-f]*\)  (\(.*\))$/\1 \2/p' "$OUT" | tr '\n' ' ')" \
  "$n4 add $n3 add $n2 add $n1 add " "the node lines of log"

check "log shows author, date, the message indented, and the outputs"
expect_stdout_contains "Author: Test User <test@example.com>"
grep -qE '^Date:   [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} UTC  on .+' "$OUT" || fail "no Date line"
expect_stdout_contains "    retrained the model"
expect_stdout_contains "    with more epochs"
expect_stdout_contains "    output  model.pt@2  (file, 2.1 KiB, ${m2:0:10})"
expect_stdout_contains "    output  data@1  (dir, "
expect_stdout_contains "    output  iris-raw@1  (file, 818 B, "

check "log --json has the fields of each node"
expect_success mlake --json log -n 1 model.pt
expect_json 'len(d)' 1
expect_json 'd[0]["id"]' "$n2"
expect_json 'd[0]["kind"]' add
expect_json 'd[0]["message"]' $'retrained the model\nwith more epochs'
expect_json 'd[0]["user"]' '{"email":"test@example.com","name":"Test User"}'
expect_json 'bool(d[0]["host"])' true
expect_json 'd[0]["time"]["start"] <= d[0]["time"]["end"]' true
expect_json 'd[0]["inputs"]' '[]'
expect_json 'd[0]["outputs"]' "[{\"artifact\":\"model.pt\",\"hash\":\"$m2\",\"path\":\"model.pt\",\"role\":\"output\",\"size\":2100,\"type\":\"file\",\"version\":2}]"

check "log NAME shows only the nodes that touched it"
expect_success mlake --json log model.pt
expect_json '[n["id"] for n in d]' "[\"$n2\",\"$n1\"]"
expect_success mlake --json log data
expect_json '[n["id"] for n in d]' "[\"$n1\"]"
expect_success mlake --json log iris-raw
expect_json '[n["id"] for n in d]' "[\"$n3\"]"
check "log PATH finds the artifact at that path"
expect_success mlake --json log raw/iris.csv
expect_json '[n["id"] for n in d]' "[\"$n3\"]"
cd raw
expect_success mlake --json log iris.csv
expect_json '[n["id"] for n in d]' "[\"$n3\"]"
cd ..

check "log -n limits the count"
expect_success mlake --json log -n 2
expect_json '[n["id"] for n in d]' "[\"$n4\",\"$n3\"]"
expect_success mlake --json log --max-count 3
expect_json 'len(d)' 3
expect_success mlake log -n 1
expect_eq "$(grep -c '^node ' "$OUT")" 1 "number of nodes shown by log -n 1"

check "log of an unknown artifact exits 3"
expect_failure 3 mlake log no-such-thing
expect_one_error_line
expect_stderr_contains "'no-such-thing'"

# --- show ------------------------------------------------------------------------------
check "show NAME describes the artifact and its versions"
expect_success mlake show model.pt
expect_stdout_contains "artifact     model.pt"
expect_stdout_contains "kind         model"
expect_stdout_contains "path         model.pt"
expect_stdout_contains "versions (2)"
# model.pt holds random bytes, not a pickle: the version line says that
# the model could not be verified (see t5001).
grep -qE "^  @1 +${m1:0:10}  2.0 KiB +.* Test User: first import  \[model not verified: see mlake show model.pt@1\]$" "$OUT" || fail "no line for @1"
grep -qE "^  @2 +${m2:0:10}  2.1 KiB +.* Test User: retrained the model" "$OUT" || fail "no line for @2"
expect_success mlake --json show model.pt
expect_json 'd["type"]' artifact
expect_json 'd["name"]' model.pt
expect_json 'd["versions"]' 2
expect_json 'd["created_by"]' "$n1"
expect_json '[(v["version"], v["hash"], v["node"]) for v in d["history"]]' \
  "[[1,\"$m1\",\"$n1\"],[2,\"$m2\",\"$n2\"]]"
expect_json 'd["latest"]["version"]' 2

check "show NAME@N describes one version: what, who, where, when, why, how"
expect_success mlake show model.pt@1
expect_stdout_contains "model.pt@1  (version 1 of 2)"
expect_stdout_contains "sha256 $m1"
expect_stdout_contains "Who    Test User <test@example.com>"
expect_stdout_contains "Where  model.pt  on host "
expect_stdout_contains "Why    first import"
expect_stdout_contains "How    add, node ${n1:0:10}"
expect_success mlake --json show model.pt@1
expect_json 'd["type"]' version
expect_json 'd["artifact"]' model.pt
expect_json 'd["version"]' 1
expect_json 'd["versions"]' 2
expect_json 'd["hash"]' "$m1"
expect_json 'd["node"]' "$n1"
expect_json 'd["what"]["type"]' file
expect_json 'd["what"]["size"]' 2048
expect_json 'd["what"]["stored"]' true
expect_json 'd["who"]["email"]' test@example.com
expect_json 'd["where"]["path"]' model.pt
expect_json 'd["why"]' "first import"
expect_json 'd["how"]["kind"]' add
expect_json 'd["how"]["node"]' "$n1"

check "show NAME@latest, NAME@hash-prefix, and a folder's version"
expect_success mlake --json show model.pt@latest
expect_json 'd["version"]' 2
expect_success mlake --json show "model.pt@${m1:0:9}"
expect_json 'd["version"]' 1
expect_success mlake --json show data@1
expect_json 'd["what"]["type"]' dir
expect_json 'd["what"]["files"]' 2
expect_json 'd["hash"]' "$h1"
expect_success mlake show data@1
expect_stdout_contains "What   dataset, dir of 2 files, "

check "show NODE-ID-PREFIX describes the node with its parents and children"
expect_success mlake show "${n3:0:8}"
expect_stdout_contains "node $n3  (add)"
expect_stdout_contains "    raw download"
grep -qE "^parents +${n2:0:10} ?$" "$OUT" || fail "no 'parents ${n2:0:10}' line"
grep -qE "^children +${n4:0:10} ?$" "$OUT" || fail "no 'children ${n4:0:10}' line"
expect_success mlake --json show "${n3:0:6}"
expect_json 'd["type"]' node
expect_json 'd["id"]' "$n3"
expect_json 'd["parents"]' "[\"$n2\"]"
expect_json 'd["children"]' "[\"$n4\"]"
expect_json 'd["record"]["message"]' "raw download"
expect_json 'd["outputs"][0]["artifact"]' iris-raw
expect_success mlake --json show "$n1"
expect_json 'd["parents"]' '[]'
expect_json 'd["children"]' "[\"$n2\"]"

check "show PATH finds the artifact recorded at that path"
expect_success mlake --json show raw/iris.csv
expect_json 'd["name"]' iris-raw
cd raw
expect_success mlake --json show iris.csv
expect_json 'd["name"]' iris-raw
expect_success mlake --json show ../model.pt@1
expect_json 'd["hash"]' "$m1"
cd ..

check "show of unknown things exits 3"
expect_failure 3 mlake show no-such-thing
expect_one_error_line
expect_failure 3 mlake show model.pt@3
expect_one_error_line
expect_failure 3 mlake show ffffffffff
expect_one_error_line
expect_failure 2 mlake show
expect_one_error_line

# --- list ------------------------------------------------------------------------------------
check "list shows every artifact by name"
expect_success mlake list
expect_eq "$(head -1 "$OUT" | tr -s ' ')" "NAME KIND VER SIZE OWNER SECURITY UPDATED" "the header of list"
expect_eq "$(tail -n +2 "$OUT" | awk '{ print $1, $2, $3 }' | tr '\n' ';')" \
  "data dataset 1;iris-raw dataset 1;model.pt model 2;train.py code 1;" "the rows of list"

check "list --kind filters by kind"
expect_success mlake list --kind model
expect_eq "$(tail -n +2 "$OUT" | awk '{ print $1 }' | tr '\n' ' ')" "model.pt " "list --kind model"
expect_success mlake --json list --kind dataset
expect_json '[a["name"] for a in d]' '["data","iris-raw"]'
expect_success mlake --json list --kind code
expect_json '[a["name"] for a in d]' '["train.py"]'
expect_success mlake --json list --kind other
expect_json 'd' '[]'
expect_failure 2 mlake list --kind spreadsheet
expect_one_error_line

check "list --json has the fields of each artifact"
expect_success mlake --json list
expect_json '[a["name"] for a in d]' '["data","iris-raw","model.pt","train.py"]'
expect_json 'd[2]["kind"]' model
expect_json 'd[2]["security"]' internal
expect_json 'd[2]["owner"]' ""
expect_json 'd[2]["description"]' ""
expect_json 'd[2]["path"]' model.pt
expect_json 'd[2]["tags"]' '[]'
expect_json 'd[2]["versions"]' 2
expect_json 'bool(d[2]["created"])' true
expect_json 'd[2]["latest"]["hash"]' "$m2"
expect_json 'd[2]["latest"]["node"]' "$n2"
expect_json 'd[1]["path"]' raw/iris.csv

# --- annotate ------------------------------------------------------------------------------------
check "annotate changes owner, description, security and tags"
expect_success mlake annotate -m "hand over to the team" --owner "Alice Doe" \
  --description "iris classifier" --security confidential --tag prod --tag cnn model.pt
expect_stdout_contains "owner = Alice Doe"
expect_stdout_contains "description = iris classifier"
expect_stdout_contains "security = confidential"
expect_stdout_contains "tag +prod"
expect_stdout_contains "tag +cnn"
grep -qE '^recorded node [0-9a-f]{10}$' "$OUT" || fail "no 'recorded node' line"
expect_success mlake --json log -n 1
expect_json 'd[0]["kind"]' annotate
expect_json 'd[0]["message"]' "hand over to the team"
n5=$(json_value 'd[0]["id"]')

check "show and list show the new metadata"
expect_success mlake --json show model.pt
expect_json 'd["owner"]' "Alice Doe"
expect_json 'd["description"]' "iris classifier"
expect_json 'd["security"]' confidential
expect_json 'd["tags"]' '["cnn","prod"]'
expect_json 'd["versions"]' 2
expect_json '[(c["field"], c["value"]) for c in d["metadata_history"] if c["node"] == d["metadata_history"][-1]["node"]]' \
  '[["description","iris classifier"],["owner","Alice Doe"],["security","confidential"],["tag","+cnn"],["tag","+prod"]]'
expect_success mlake show model.pt
expect_stdout_contains "owner        Alice Doe"
expect_stdout_contains "description  iris classifier"
expect_stdout_contains "security     confidential"
expect_stdout_contains "tags         cnn, prod"
expect_success mlake list
grep -qE '^model\.pt +model +2 +2\.1 KiB +Alice Doe +confidential ' "$OUT" || fail "list does not show the new owner and security"
expect_success mlake --json list
expect_json 'd[2]["owner"]' "Alice Doe"
expect_json 'd[2]["tags"]' '["cnn","prod"]'

check "annotate is a node: log NAME includes it"
expect_success mlake --json log model.pt
expect_json '[n["id"] for n in d]' "[\"$n5\",\"$n2\",\"$n1\"]"

check "annotate --untag, --kind, and the last writer wins"
expect_success mlake annotate -m "not a cnn" --untag cnn model.pt
expect_stdout_contains "tag -cnn"
expect_success mlake annotate -m "to bob" --owner bob model.pt
expect_success mlake annotate -m "to carol" --owner carol --kind other model.pt
expect_success mlake --json show model.pt
expect_json 'd["tags"]' '["prod"]'
expect_json 'd["owner"]' carol
expect_json 'd["kind"]' other
expect_success mlake --json list --kind other
expect_json '[a["name"] for a in d]' '["model.pt"]'
expect_eq "$(lock_value model.pt kind)" other "kind of model.pt in mlake.lock"

check "annotate by path"
expect_success mlake annotate -m "public data" --security public raw/iris.csv
expect_success mlake --json show iris-raw
expect_json 'd["security"]' public

check "metadata survives a new version"
random_file model.pt 2200 model-3
expect_success mlake add -m "v3" model.pt
expect_success mlake --json show model.pt
expect_json 'd["owner"]' carol
expect_json 'd["tags"]' '["prod"]'
expect_json 'd["versions"]' 3

snapshot_lake "$TEST_ROOT/snap"
check "annotate with nothing to change exits 2 and records nothing"
expect_failure 2 mlake annotate -m "nothing" model.pt
expect_one_error_line
expect_stderr_contains "nothing to change"
expect_lake_unchanged "$TEST_ROOT/snap"
check "annotate with the values it already has exits 2"
expect_failure 2 mlake annotate -m "same" --owner carol --tag prod model.pt
expect_one_error_line
expect_stderr_contains "nothing to change"
expect_lake_unchanged "$TEST_ROOT/snap"

check "--untag of a missing tag exits 2"
expect_failure 2 mlake annotate -m "untag" --untag no-such-tag model.pt
expect_one_error_line
expect_stderr_contains "'no-such-tag'"
expect_lake_unchanged "$TEST_ROOT/snap"
expect_failure 2 mlake annotate -m "untag" --owner dave --untag no-such-tag model.pt
expect_lake_unchanged "$TEST_ROOT/snap"

check "annotate refuses bad input"
expect_failure 2 mlake annotate -m "both" --tag x --untag x model.pt
expect_one_error_line
expect_failure 2 mlake annotate -m "bad" --security top-secret model.pt
expect_one_error_line
expect_failure 2 mlake annotate -m "bad" --kind spreadsheet model.pt
expect_one_error_line
expect_failure 2 mlake annotate -m "bad" --tag "two words" model.pt
expect_one_error_line
expect_failure 2 mlake annotate --owner eve model.pt
expect_one_error_line
expect_failure 2 mlake annotate -m " " --owner eve model.pt
expect_one_error_line
expect_failure 3 mlake annotate -m "who" --owner eve no-such-thing
expect_one_error_line
expect_lake_unchanged "$TEST_ROOT/snap"

check "the lake is sound"
expect_success mlake fsck
expect_hints_name_real_commands

pass
