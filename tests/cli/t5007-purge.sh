#!/bin/bash
# purge: erase a version's content (right to erasure) and keep its lineage.
# A purge node names the version and those that shared content with it;
# the objects and unchanged workspace copies go; everything made from it is
# tainted (show, lineage, card, audit); checkout names the purge; fsck stays
# clean and gc removes what an interrupted purge left. With --remote the
# purge node is pushed and the content deleted there; a pull, fetch or
# clone that receives the purge erases the content in that lake too, and
# push never sends it again. Through a folder remote and the S3 server.
. ./lib.sh
use_s3

mkdir -p "$TEST_ROOT/remotes"
LAKE=$WORK/lake
mkdir -p "$LAKE"
cd "$LAKE"
new_lake

node_count() { count_files .mlake/nodes; }
ids_of() { json_value '[t["ref"] if t["ref"] is not None else t["kind"] for t in d["tainted"]]'; }

# The lake: a file of personal data a model was trained on (then promoted,
# approved and evaluated), a folder with two versions that share files, a
# model trained on the first, and an unrelated file.
printf 'name,age\nann,50\nbob,31\n' >users.csv
printf 'city\nOslo\n' >other.csv
expect_success mlake add users.csv other.csv -m "import"
users_hash=$(sha256_of users.csv)
cp users.csv "$TEST_ROOT/users.csv.saved"
cat >train.sh <<'EOF2'
# train.sh INPUT OUTPUT: a "model" (of a file or a folder) and its metrics.
find "$1" -type f | sort | xargs cat | wc -c >"$2"
echo '{"accuracy": 0.9}' >metrics.json
EOF2
expect_success mlake --json run --kind train -i users.csv -o model.bin -M metrics.json -m "train on users" -- sh train.sh users.csv model.bin
train_node=$(json_value 'd["node"]')
echo '{"auc": 0.8}' >eval.json
expect_success mlake run --kind evaluate -i model.bin -M eval.json -m "holdout" -- true
expect_success mlake promote model.bin@1 --to production -m "ship"
expect_success mlake approve model.bin@1 -m "reviewed"

mkdir data
printf 'a,b\n1,2\n' >data/p1.csv
printf 'a,b\n3,4\n' >data/p2.csv
printf 'ann,50,diabetic\n' >data/pii.csv
expect_success mlake add data -m "data v1"
printf 'a,b\n5,6\n' >data/p3.csv
rm data/pii.csv
expect_success mlake add data -m "data v2: p1, p2 unchanged"
p1_hash=$(sha256_of data/p1.csv)
p2_hash=$(sha256_of data/p2.csv)
p3_hash=$(sha256_of data/p3.csv)
expect_success mlake --json show data@1
data1_tree=$(json_value 'd["hash"]')
data1_node=$(json_value 'd["node"]')
expect_success mlake --json show data@2
data2_node=$(json_value 'd["node"]')
expect_success mlake checkout data@1
pii_hash=$(sha256_of data/pii.csv)
expect_success mlake run --kind train -i data -o dmodel.bin -M metrics.json -m "train on data v1" -- sh train.sh data dmodel.bin
expect_success mlake checkout data@2
expect_success mlake status --exit-code

# --- dry run -------------------------------------------------------------------------------------
check "a dry run says what would be erased and tainted, and changes nothing"
snapshot_lake "$TEST_ROOT/snap"
snapshot_workspace "$TEST_ROOT/ws"
nodes_before=$(node_count)
expect_success mlake --json purge users.csv@1 --reason "GDPR request 17" --dry-run
expect_json '(d["node"], d["artifact"], d["dry_run"], d["already_purged"], d["reason"], d["remote"])' \
  '[null,"users.csv",true,false,"GDPR request 17",null]'
expect_json 'd["version"]["ref"], d["version"]["ordinal"], d["version"]["hash"]' "[\"users.csv@1\",1,\"$users_hash\"]"
expect_json 'd["content"]' '{"bytes":23,"objects":1}'
expect_json 'd["affected"]' '[]'
expect_json 'd["erased"]' '{"bytes":0,"objects":0,"workspace":[]}'
expect_json '[(t["ref"], t.get("kind")) for t in d["tainted"]]' \
  '[["model.bin@1",null],[null,"evaluate"],[null,"promote"],[null,"approve"]]'
expect_json 'd["tainted"][0]["node"]' "$train_node"
expect_success mlake purge users.csv@1 --reason "GDPR request 17" -n
expect_stdout_contains "would erase users.csv@1: 1 object(s) (23 B)"
expect_stdout_contains "  tainted: model.bin@1"
expect_stdout_contains "  tainted: promote "
expect_lake_unchanged "$TEST_ROOT/snap"
expect_workspace_unchanged "$TEST_ROOT/ws"
expect_eq "$(node_count)" "$nodes_before" "nodes after a dry run"
expect_file "$(object_path "$users_hash")"

# --- a file ----------------------------------------------------------------------------------------
check "purge of a file: a purge node, the object and the workspace copy go"
expect_success mlake --json purge users.csv@1 --reason "GDPR request 17"
purge1=$(json_value 'd["node"]')
expect_json '(d["dry_run"], d["already_purged"], d["affected"])' '[false,false,[]]'
expect_json 'd["erased"]' '{"bytes":23,"objects":1,"workspace":["users.csv"]}'
expect_json 'len(d["tainted"])' 4
expect_eq "$(node_count)" $((nodes_before + 1)) "nodes after the purge"
expect_no_file "$(object_path "$users_hash")"
expect_no_file users.csv
expect_file other.csv
lock_value users.csv hash >/dev/null && fail "mlake.lock still names users.csv"
expect_eq "$(lock_value other.csv hash)" "$(sha256_of other.csv)" "other.csv in mlake.lock"
expect_success mlake status --exit-code

check "the purge node: kind purge, the reason, the version as 'purged', the objects"
expect_success mlake --json show "$purge1"
expect_json '(d["kind"], d["message"], d["user"]["name"])' '["purge","GDPR request 17","Test User"]'
expect_json '[(i["artifact"], i["role"], i["hash"]) for i in d["record"]["inputs"]]' "[[\"users.csv\",\"purged\",\"$users_hash\"]]"
expect_json 'd["record"]["purge"]' "{\"objects\":[\"$users_hash\"]}"
expect_json 'd["outputs"]' '[]'
expect_success mlake log
expect_stdout_contains "GDPR request 17"

check "fsck stays clean and counts the erased object apart"
expect_success mlake --json fsck
expect_json '(d["ok"], d["faults"], d["purged"], d["purged_stored"], d["not_downloaded"], d["unreferenced"])' '[true,[],1,0,0,0]'
expect_success mlake fsck
expect_stdout_contains "1 object(s) were erased by 'mlake purge'"

check "show: the purged version and what was made from it"
expect_success mlake show users.csv@1
expect_stdout_contains "Purged  content erased on "
expect_stdout_contains "by Test User (purge ${purge1:0:10}): GDPR request 17"
expect_success mlake --json show users.csv@1
expect_json '(d["taint"]["purged"], d["taint"]["tainted"])' '[true,false]'
expect_json '[(b["ref"], b["artifact"], b["role"], b["purge"], b["user"], b["reason"]) for b in d["taint"]["by"]]' \
  "[[\"users.csv@1\",\"users.csv\",\"purged\",\"$purge1\",\"Test User\",\"GDPR request 17\"]]"
expect_success mlake show model.bin@1
expect_stdout_contains "Tainted made from users.csv@1, erased on "
expect_success mlake --json show model.bin@1
expect_json '(d["taint"]["purged"], d["taint"]["tainted"], [b["ref"] for b in d["taint"]["by"]])' '[false,true,["users.csv@1"]]'
expect_json 'd["taint"]["by"][0]["time"][:2]' 20
expect_success mlake --json show model.bin@production
expect_json 'd["taint"]["tainted"]' true
expect_success mlake --json show "$train_node"
expect_json '(d["taint"]["purged"], d["taint"]["tainted"])' '[false,true]'
expect_success mlake show "$train_node"
expect_stdout_contains "Tainted made from users.csv@1"
expect_success mlake --json show other.csv@1
expect_json 'd["taint"]' '{"by":[],"purged":false,"tainted":false}'
expect_success mlake show other.csv@1
expect_stdout_not_contains "Tainted"
expect_stdout_not_contains "Purged"

check "show ARTIFACT marks purged and tainted versions"
expect_success mlake --json show users.csv
expect_json '[(v["version"], v["purged"], v["tainted"]) for v in d["history"]]' '[[1,true,false]]'
expect_success mlake show users.csv
expect_stdout_contains "[purged]"
expect_success mlake --json show model.bin
expect_json '[(v["version"], v["purged"], v["tainted"]) for v in d["history"]]' '[[1,false,true]]'
expect_success mlake show model.bin
expect_stdout_contains "[tainted]"
expect_success mlake --json show other.csv
expect_json '[(v["purged"], v["tainted"]) for v in d["history"]]' '[[false,false]]'

check "lineage marks the purged version and what was made from it"
expect_success mlake lineage model.bin@1
grep -F "users.csv@1" "$OUT" | grep -qF "[purged]" || fail "lineage does not mark users.csv@1 [purged]"
grep -F "model.bin@1" "$OUT" | grep -qF "[tainted]" || fail "lineage does not mark model.bin@1 [tainted]"
grep -F "train ${train_node:0:10}" "$OUT" | grep -qF "[tainted]" || fail "lineage does not mark the train step [tainted]"
expect_success mlake lineage model.bin@1 --format json
expect_json 'd["root"]["taint"]' tainted
expect_json 'sorted((v["id"], v["taint"]) for v in d["versions"])' '[["model.bin@1","tainted"],["users.csv@1","purged"]]'
expect_json 'sorted((s["kind"], s["tainted"]) for s in d["steps"])' '[["add",false],["train",true]]'
expect_success mlake lineage users.csv@1 --down --format json
expect_json 'd["root"]["taint"]' purged
expect_json '[s["tainted"] for s in d["steps"] if s["kind"] in ("train", "evaluate", "promote", "approve")]' '[true,true,true,true]'
expect_success mlake lineage other.csv@1 --format json
expect_json '(d["root"]["taint"], [v["taint"] for v in d["versions"]], [s["tainted"] for s in d["steps"]])' '[null,[null],[false]]'
expect_success mlake lineage model.bin@1 --format mermaid
expect_stdout_contains "classDef purged"
expect_stdout_contains "classDef tainted"
expect_success mlake lineage other.csv@1 --format mermaid
expect_stdout_not_contains "classDef"
expect_success mlake lineage users.csv@1 --down --format dot
grep -F '"users.csv@1" [' "$OUT" | grep -qF "(purged)" || fail "the DOT graph does not mark users.csv@1 (purged)"
grep -F '"model.bin@1" [' "$OUT" | grep -qF "(tainted)" || fail "the DOT graph does not mark model.bin@1 (tainted)"

check "the card warns, and marks the purged data"
expect_success mlake card model.bin@1
expect_stdout_contains "> **Warning: tainted.** This version was made from users.csv@1"
expect_stdout_contains "users.csv@1 **(purged)**"
expect_stdout_contains "GDPR request 17"
expect_success mlake --json card model.bin@1
expect_json '(d["taint"]["tainted"], d["taint"]["purged"], [b["purge"] for b in d["taint"]["by"]])' "[true,false,[\"$purge1\"]]"
expect_json '[(t["ref"], t["taint"]) for t in d["training_data"]]' '[["users.csv@1","purged"]]'

check "audit lists the taint; without the rule it still passes"
expect_success mlake audit model.bin@1
expect_stdout_contains "tainted: users.csv@1 upstream was erased by purge ${purge1:0:10}"
expect_stdout_contains "GDPR request 17"
expect_success mlake --json audit model.bin@1
expect_json '(d["ok"], d["violations"])' '[true,[]]'
expect_json '[(t["ref"], t["purge"], t["user"], t["reason"]) for t in d["tainted"]]' \
  "[[\"users.csv@1\",\"$purge1\",\"Test User\",\"GDPR request 17\"]]"
expect_json 'd["tainted"][0]["time"][:2]' 20

check "audit with no_purged_data: a violation, exit 1"
printf 'no_purged_data: true\n' >.mlake/policy.yaml
expect_failure 1 mlake --json audit model.bin@1
expect_json '(d["ok"], [(v["rule"], v["version"], v["node"]) for v in d["violations"]])' \
  "[false,[[\"no_purged_data\",\"users.csv@1\",\"$purge1\"]]]"
expect_failure 1 mlake audit model.bin@production
expect_stdout_contains "no_purged_data: users.csv@1 was erased by purge"
expect_success mlake --json audit other.csv@1
expect_json '(d["ok"], d["tainted"])' '[true,[]]'
rm .mlake/policy.yaml

check "checkout of a purged version names the purge, and changes nothing"
snapshot_lake "$TEST_ROOT/snap"
snapshot_workspace "$TEST_ROOT/ws"
expect_failure 3 mlake checkout users.csv@1
expect_one_error_line
expect_stderr_contains "the content of 'users.csv' was erased by Test User on "
expect_stderr_contains "(purge ${purge1:0:12}): GDPR request 17"
expect_failure 3 mlake checkout users.csv
expect_stderr_contains "was erased by Test User"
expect_lake_unchanged "$TEST_ROOT/snap"
expect_workspace_unchanged "$TEST_ROOT/ws"

check "a purged version cannot be approved or promoted"
expect_failure 2 mlake approve users.csv@1 -m "x"
expect_one_error_line
expect_stderr_contains "erased by purge ${purge1:0:12}"
expect_failure 2 mlake promote users.csv@1 --to production -m "x"
expect_one_error_line
expect_stderr_contains "erased by purge ${purge1:0:12}"
expect_lake_unchanged "$TEST_ROOT/snap"
expect_workspace_unchanged "$TEST_ROOT/ws"

check "purging it again writes no node and erases nothing more"
expect_success mlake --json purge users.csv@1 --reason "again"
expect_json '(d["node"], d["already_purged"], d["erased"])' '[null,true,{"bytes":0,"objects":0,"workspace":[]}]'
expect_eq "$(node_count)" $((nodes_before + 1)) "nodes after a second purge"
expect_success mlake purge users.csv@1 --reason "again"
expect_stdout_contains "users.csv@1 was purged before; erased what was left: 0 object(s)"

check "an interrupted purge: fsck counts what is still stored, a second purge and gc remove it"
obj=$(object_path "$users_hash")
mkdir -p "$(dirname "$obj")"
cp "$TEST_ROOT/users.csv.saved" "$obj"
expect_success mlake --json fsck
expect_json '(d["ok"], d["purged"], d["purged_stored"], d["unreferenced"])' '[true,0,1,0]'
expect_success mlake fsck
expect_stdout_contains "still stored"
expect_success mlake --json purge users.csv@1 --reason "finish"
expect_json '(d["node"], d["already_purged"], d["erased"]["objects"], d["erased"]["bytes"])' '[null,true,1,23]'
expect_no_file "$obj"
cp "$TEST_ROOT/users.csv.saved" "$obj"
expect_success mlake gc
expect_no_file "$obj"
expect_success mlake --json fsck
expect_json '(d["ok"], d["purged"], d["purged_stored"])' '[true,1,0]'

# --- a folder whose files another version shares ----------------------------------------------
check "a folder that shares files with another version: refused without --force"
snapshot_lake "$TEST_ROOT/snap"
snapshot_workspace "$TEST_ROOT/ws"
expect_failure 2 mlake purge data@1 --reason "patient withdrew"
expect_one_error_line
expect_stderr_contains "the content of data@1 is also part of data@2 (2 file(s))"
expect_stderr_contains "--force"
expect_lake_unchanged "$TEST_ROOT/snap"
expect_workspace_unchanged "$TEST_ROOT/ws"

check "the dry run names the versions sharing it and what is tainted"
expect_success mlake --json purge data@1 --reason "patient withdrew" -n
expect_json 'd["content"]["objects"]' 3
expect_json '[(a["ref"], a["node"], a["shared"]) for a in d["affected"]]' "[[\"data@2\",\"$data2_node\",2]]"
expect_eq "$(ids_of)" '["dmodel.bin@1"]' "what a purge of data@1 taints"
expect_success mlake purge data@1 --reason "patient withdrew" -n
expect_stdout_contains "shared with data@2 (2 file(s))"
expect_lake_unchanged "$TEST_ROOT/snap"
expect_workspace_unchanged "$TEST_ROOT/ws"

check "a file that is a byte-for-byte copy is shared content too"
printf 'id\n7\n' >notes.csv
expect_success mlake add notes.csv -m "notes"
expect_success mlake run -i notes.csv -o notes-copy.csv -m "copy" -- cp notes.csv notes-copy.csv
snapshot_lake "$TEST_ROOT/snap"
expect_failure 2 mlake purge notes.csv@1 --reason "x"
expect_one_error_line
expect_stderr_contains "also part of notes-copy.csv@1 (1 file(s))"
expect_lake_unchanged "$TEST_ROOT/snap"

check "--force erases the folder's files; a file the user changed stays"
echo "my own edit" >data/p2.csv
cp data/p2.csv "$TEST_ROOT/p2-edited"
expect_success mlake --json purge data@1 --reason "patient withdrew" --force
purge2=$(json_value 'd["node"]')
expect_json '[(a["ref"], a["shared"]) for a in d["affected"]]' '[["data@2",2]]'
expect_json 'd["erased"]' '{"bytes":32,"objects":3,"workspace":["data/p1.csv"]}'
for h in "$p1_hash" "$p2_hash" "$pii_hash"; do
  expect_no_file "$(object_path "$h")"
done
expect_file "$(object_path "$data1_tree")" # the file list stays
expect_file "$(object_path "$p3_hash")"    # data@2's own file stays
expect_no_file data/p1.csv
expect_same_file data/p2.csv "$TEST_ROOT/p2-edited"
expect_file data/p3.csv
expect_eq "$(lock_value data node)" "$data2_node" "mlake.lock's data (something of it is left)"
expect_success mlake --json show "$purge2"
expect_json '[(i["role"], i["node"]) for i in d["record"]["inputs"]]' "[[\"purged\",\"$data1_node\"],[\"affected\",\"$data2_node\"]]"
expect_json 'd["record"]["purge"]["objects"]' "$(printf '%s\n' "$p1_hash" "$p2_hash" "$pii_hash" | sort | "$PYTHON" -S -c 'import json,sys; print(json.dumps(sys.stdin.read().split(), separators=(",", ":")))')"
expect_success mlake --json show data@2
expect_json '[(b["role"], b["purge"]) for b in d["taint"]["by"]]' "[[\"affected\",\"$purge2\"]]"
expect_success mlake --json show dmodel.bin@1
expect_json '(d["taint"]["tainted"], [b["ref"] for b in d["taint"]["by"]])' '[true,["data@1"]]'
expect_success mlake --json fsck
expect_json '(d["ok"], d["faults"], d["purged"], d["purged_stored"])' '[true,[],4,0]'

check "checkout of the purged folder, or of the one it took files from, fails"
snapshot_lake "$TEST_ROOT/snap"
snapshot_workspace "$TEST_ROOT/ws"
expect_failure 3 mlake checkout data@1
expect_one_error_line
expect_stderr_contains "the content of 'data' was erased by Test User"
expect_stderr_contains "(purge ${purge2:0:12}): patient withdrew"
expect_failure 3 mlake checkout --force data@2
expect_stderr_contains "(purge ${purge2:0:12}): patient withdrew"
expect_lake_unchanged "$TEST_ROOT/snap"
expect_workspace_unchanged "$TEST_ROOT/ws"

check "reindex rebuilds the same taint"
expect_success mlake --json show model.bin@1
taint_model=$(json_value 'd["taint"]')
expect_success mlake --json show data@2
taint_data2=$(json_value 'd["taint"]')
rm .mlake/index.db*
expect_success mlake reindex
expect_success mlake --json show model.bin@1
expect_json 'd["taint"]' "$taint_model"
expect_success mlake --json show data@2
expect_json 'd["taint"]' "$taint_data2"
expect_success mlake --json fsck
expect_json '(d["ok"], d["purged"])' '[true,4]'

check "bad input: usage errors and unknown names leave the lake as it was"
snapshot_lake "$TEST_ROOT/snap"
snapshot_workspace "$TEST_ROOT/ws"
expect_failure 2 mlake purge other.csv@1
expect_one_error_line
expect_stderr_contains "--reason"
expect_failure 2 mlake purge other.csv@1 --reason ""
expect_one_error_line
expect_failure 2 mlake purge other.csv@1 --reason "   "
expect_failure 2 mlake purge --reason "x"
expect_failure 3 mlake purge other.csv@7 --reason "x"
expect_one_error_line
expect_stderr_contains "no version 7 of 'other.csv'"
expect_failure 3 mlake purge nothing@1 --reason "x"
expect_one_error_line
expect_failure 3 mlake purge other.csv@1 --reason "x" --remote nosuch
expect_one_error_line
expect_stderr_contains "no remote named 'nosuch'"
expect_success mlake remote add notafolder "$LAKE/other.csv"
snapshot_lake "$TEST_ROOT/snap"
expect_failure 12 mlake purge other.csv@1 --reason "x" --remote notafolder
expect_one_error_line
expect_lake_unchanged "$TEST_ROOT/snap"
expect_workspace_unchanged "$TEST_ROOT/ws"
expect_success mlake remote remove notafolder

# --- a folder remote ---------------------------------------------------------------------------------
# alice pushes; bob, erin and dave clone before she purges --remote; carol
# clones after.
remote=$TEST_ROOT/remotes/shared
alice=$WORK/alice
mkdir -p "$alice"
cd "$alice"
new_lake
printf 'name,age\nann,50\nbob,31\n' >users.csv
printf 'city\nOslo\n' >other.csv
mkdir data
printf 'a\n1\n' >data/one.csv
printf 'a\n2\n' >data/two.csv
expect_success mlake add users.csv other.csv data -m "import"
expect_success mlake --json show data@1
alice_tree=$(json_value 'd["hash"]')
cp "$LAKE/train.sh" .
expect_success mlake run --kind train -i users.csv -o model.bin -M metrics.json -m "train" -- sh train.sh users.csv model.bin
expect_success mlake remote add origin "$remote"
expect_success mlake push
expect_file "$remote/objects/${users_hash:0:2}/${users_hash:2}"
cd "$WORK"
for who in bob erin dave; do
  expect_success mlake clone "$remote" "$who"
done

check "purge --remote: the node is pushed, then the content deleted there"
cd "$alice"
expect_success mlake --json purge users.csv@1 --reason "ann asked" --remote origin
rpurge=$(json_value 'd["node"]')
expect_json 'd["remote"]' "{\"deleted\":1,\"location\":\"$remote\",\"name\":\"origin\",\"nodes_sent\":1}"
expect_json 'd["erased"]' '{"bytes":23,"objects":1,"workspace":["users.csv"]}'
expect_no_file users.csv
expect_no_file "$remote/objects/${users_hash:0:2}/${users_hash:2}"
expect_file "$remote/nodes/$rpurge.json"
expect_file "$remote/objects/${alice_tree:0:2}/${alice_tree:2}"
expect_store_sound "$remote"
expect_eq "$STORE_NODES" 3 "nodes on the remote"
expect_failure 3 mlake push origin users.csv@1
expect_one_error_line
expect_stderr_contains "was purged"
expect_success mlake purge users.csv@1 --reason "again" --remote origin
expect_stdout_contains "was purged before"
expect_stdout_contains "on origin: deleted"
expect_stdout_contains "sent 0 node(s)"
expect_success mlake --json fsck
expect_json '(d["ok"], d["purged"])' '[true,1]'

check "a clone made after the purge: no content, the same taint"
cd "$WORK"
expect_success mlake clone "$remote" carol
cd carol
expect_no_file users.csv
expect_no_file "$(object_path "$users_hash")"
expect_same_file other.csv "$alice/other.csv"
expect_same_file model.bin "$alice/model.bin"
expect_success mlake --json show model.bin@1
expect_json '(d["taint"]["tainted"], [(b["ref"], b["purge"], b["reason"]) for b in d["taint"]["by"]])' \
  "[true,[[\"users.csv@1\",\"$rpurge\",\"ann asked\"]]]"
expect_success mlake show users.csv@1
expect_stdout_contains "Purged  content erased on "
expect_success mlake --json fsck
expect_json '(d["ok"], d["faults"], d["purged"], d["not_downloaded"])' '[true,[],1,0]'
expect_failure 3 mlake checkout users.csv@1
expect_stderr_contains "was erased by Test User"
expect_stderr_contains "ann asked"
expect_failure 3 mlake pull users.csv@1
expect_one_error_line
expect_stderr_contains "was purged"

check "a clone that pulls the purge erases the content and its unchanged copy"
cd "$WORK/bob"
expect_file "$(object_path "$users_hash")"
expect_success mlake --json pull
expect_json '(d["nodes"], d["erased"])' '[1,{"objects":1,"workspace":["users.csv"]}]'
expect_stderr_contains "a purge from origin erased"
expect_stderr_contains " 1 object(s)"
expect_no_file users.csv
expect_no_file "$(object_path "$users_hash")"
expect_success mlake show model.bin@1
expect_stdout_contains "Tainted made from users.csv@1"
expect_success mlake --json fsck
expect_json '(d["ok"], d["purged"], d["purged_stored"])' '[true,1,0]'
expect_success mlake status --exit-code

check "... and its push does not send the erased content back"
expect_success mlake --json push
expect_json '(d["objects"], d["bytes"])' '[0,0]'
expect_no_file "$remote/objects/${users_hash:0:2}/${users_hash:2}"

check "a clone that fetches the purge erases too; a copy the user changed stays"
cd "$WORK/erin"
echo "ann withdrew; erin's own notes" >users.csv
cp users.csv "$TEST_ROOT/erin-users"
expect_success mlake fetch
expect_stderr_contains "a purge from origin erased"
expect_stderr_contains " 1 object(s)"
expect_no_file "$(object_path "$users_hash")"
expect_same_file users.csv "$TEST_ROOT/erin-users"
expect_success mlake --json fsck
expect_json '(d["ok"], d["purged"])' '[true,1]'
expect_success mlake --json pull
expect_json 'd["erased"]' '{"objects":0,"workspace":[]}'
expect_same_file users.csv "$TEST_ROOT/erin-users"

# --- an S3 remote ------------------------------------------------------------------------------------
s3_object() { echo "$S3RVER_DIR/data/$S3_BUCKET/$S3_PREFIX/$1/objects/${2:0:2}/${2:2}._S3rver_object"; }
s3lake=$WORK/s3-alice
mkdir -p "$s3lake"
cd "$s3lake"
new_lake
printf 'name,age\nzoe,40\n' >people.csv
printf 'city\nBergen\n' >other.csv
expect_success mlake add people.csv other.csv -m "import"
people_hash=$(sha256_of people.csv)
other_hash=$(sha256_of other.csv)
cp "$LAKE/train.sh" .
expect_success mlake run --kind train -i people.csv -o model.bin -M metrics.json -m "train" -- sh train.sh people.csv model.bin
expect_success mlake remote add s3origin "$(s3_url s3origin)"
expect_success mlake push
[ -f "$(s3_object s3origin "$people_hash")" ] || fail "s3rver does not hold the object at $(s3_object s3origin "$people_hash")"
cd "$WORK"
expect_success mlake clone "$(s3_url s3origin)" s3-bob

check "purge --remote on S3: the object is deleted there"
cd "$s3lake"
expect_success mlake --json purge people.csv@1 --reason "zoe asked" --remote s3origin
s3purge=$(json_value 'd["node"]')
expect_json '(d["remote"]["name"], d["remote"]["location"], d["remote"]["deleted"], d["remote"]["nodes_sent"])' \
  "[\"s3origin\",\"$(s3_url s3origin)\",1,1]"
[ ! -e "$(s3_object s3origin "$people_hash")" ] || fail "s3rver still holds the purged object"
[ -f "$(s3_object s3origin "$other_hash")" ] || fail "s3rver lost an object the purge did not erase"

check "an S3 remote that fails: exit 12, the lake as it was"
expect_success mlake remote add nobucket s3://mlake-test-no-such-bucket/x
printf 'ok\n' >more.csv
expect_success mlake add more.csv -m "more"
snapshot_lake "$TEST_ROOT/snap"
expect_failure 12 mlake purge more.csv@1 --reason "x" --remote nobucket
expect_lake_unchanged "$TEST_ROOT/snap"
expect_file more.csv

check "purge --remote sends the history the remote lacks, and no content"
more_hash=$(sha256_of more.csv)
expect_success mlake --json purge more.csv@1 --reason "x" --remote s3origin
expect_json '(d["remote"]["nodes_sent"], d["erased"]["objects"])' '[2,1]'
[ ! -e "$(s3_object s3origin "$more_hash")" ] || fail "purge --remote sent the content of more.csv to S3"

check "S3: a clone after the purge shows the taint; a stale clone's pull erases"
cd "$WORK"
expect_success mlake clone "$(s3_url s3origin)" s3-carol
cd s3-carol
expect_no_file people.csv
expect_success mlake --json show model.bin@1
expect_json '[(b["ref"], b["purge"]) for b in d["taint"]["by"]]' "[[\"people.csv@1\",\"$s3purge\"]]"
expect_success mlake --json fsck
expect_json '(d["ok"], d["faults"], d["purged"])' '[true,[],2]'
cd "$WORK/s3-bob"
expect_file people.csv
expect_success mlake --json pull
expect_json 'd["erased"]' '{"objects":1,"workspace":["people.csv"]}'
expect_no_file people.csv
expect_no_file "$(object_path "$people_hash")"
expect_success mlake --json push
expect_json 'd["objects"]' 0
[ ! -e "$(s3_object s3origin "$people_hash")" ] || fail "the clone's push sent the purged object back to S3"

# --- more ----------------------------------------------------------------------------------------
check "an empty reason is refused with a hint that names --reason"
cd "$LAKE"
expect_failure 2 mlake purge other.csv@1 --reason ""
expect_one_error_line
expect_stderr_contains "--reason"

check "a purge's own node is not among what it taints"
expect_success mlake --json purge users.csv@1 --reason "again" -n
expect_json '[t["kind"] for t in d["tainted"] if t["ref"] is None and t["kind"] == "purge"]' '[]'
expect_success mlake --json purge data@1 --reason "again" -n
expect_json '[t["kind"] for t in d["tainted"] if t["ref"] is None and t["kind"] == "purge"]' '[]'

check "purging a version that a purge only took some files from erases the rest"
expect_file "$(object_path "$p3_hash")"
expect_success mlake --json purge data@2 --reason "all of v2 too"
expect_json '(d["already_purged"], d["node"] is not None)' '[false,true]'
expect_json 'd["erased"]["workspace"]' '["data/p3.csv"]'
expect_no_file "$(object_path "$p3_hash")"
expect_no_file data/p3.csv
expect_same_file data/p2.csv "$TEST_ROOT/p2-edited"

check "bytes added again after a purge are content the lake keeps"
cp "$TEST_ROOT/users.csv.saved" users.csv
run_cmd mlake add users.csv -m "ann consented again"
if [ "$RC" -eq 0 ]; then
  expect_success mlake gc
  expect_file "$(object_path "$users_hash")"
  expect_success mlake --json fsck
  expect_json 'd["ok"]' true
  rm users.csv
  expect_success mlake checkout users.csv
  expect_same_file users.csv "$TEST_ROOT/users.csv.saved"
fi

check "a clone that has not pulled the purge does not push the erased content back"
cd "$WORK/dave"
expect_file "$(object_path "$users_hash")"
run_cmd mlake push
expect_no_file "$remote/objects/${users_hash:0:2}/${users_hash:2}"

expect_hints_name_real_commands
pass
