#!/bin/bash
# fsck finds damaged objects and nodes; gc removes what no node refers to,
# and nothing else.
. ./lib.sh

new_lake
check "fsck of a fresh lake is clean"
expect_success mlake fsck
expect_stdout_contains "no faults"
expect_stderr_empty
expect_success mlake --json fsck
expect_json 'd["ok"]' true
expect_json 'd["objects"]' 0
expect_json 'd["nodes"]' 0
expect_json 'd["faults"]' '[]'

mkdir -p data/sub
cp "$TESTDATA/iris.csv" data/iris.csv
random_file data/sub/blob.bin 30000 blob
printf 'model v1\n' >model.txt
expect_success mlake add -m "v1" data model.txt
node1=$(lock_value model.txt node)
printf 'model v2\n' >model.txt
expect_success mlake add -m "v2" model.txt
node2=$(lock_value model.txt node)
printf 'model v3\n' >model.txt
expect_success mlake add -m "v3" model.txt
node3=$(lock_value model.txt node)
mkdir -p "$TEST_ROOT/orig"
cp -a data model.txt "$TEST_ROOT/orig/"

check "fsck after three adds is clean"
expect_success mlake fsck
expect_stdout_contains "checked 6 object(s)"
expect_stdout_contains "3 node(s): no faults"
expect_success mlake --json fsck
expect_json 'd["ok"]' true
expect_json 'd["objects"]' 6
expect_json 'd["nodes"]' 3
expect_json 'd["heads"]' "[\"$node3\"]"
expect_json 'd["unreferenced"]' 0
expect_json 'd["temporary"]' 0

# damage PATH ...: make PATH writable and change it; restore PATH puts the
# saved copy back with its mode.
damage_flip_byte() {
  local path=$1 offset=${2:-0}
  cp -p "$path" "$TEST_ROOT/saved"
  chmod u+w "$path"
  "$PYTHON" - "$path" "$offset" <<'EOF'
import os, sys
path, offset = sys.argv[1], int(sys.argv[2])
with open(path, "r+b") as f:
    f.seek(offset)
    b = f.read(1)
    f.seek(offset)
    f.write(bytes([b[0] ^ 0x01]))
EOF
}
restore() {
  rm -f "$1"
  cp -p "$TEST_ROOT/saved" "$1"
}

# --- objects -----------------------------------------------------------------------
blob=$(sha256_of data/sub/blob.bin)
check "one flipped byte in a blob: fsck exits 13 naming the object"
damage_flip_byte "$(object_path "$blob")" 12345
expect_failure 13 mlake fsck
expect_stderr_contains "fault: object $blob"
expect_stdout_contains "1 fault(s)"
expect_failure 13 mlake --json fsck
expect_json 'd["ok"]' false
expect_json '[(f["kind"], f["target"]) for f in d["faults"]]' "[[\"object\",\"$blob\"]]"
restore "$(object_path "$blob")"
expect_success mlake fsck

tree=$(lock_value data hash)
check "one flipped byte in a tree: fsck exits 13 naming it"
damage_flip_byte "$(object_path "$tree")" 20
expect_failure 13 mlake fsck
expect_stderr_contains "$tree"
restore "$(object_path "$tree")"
expect_success mlake fsck

check "a missing object: fsck exits 13 naming it"
v1=$(printf 'model v1\n' | sha256sum | cut -c1-64)
mv "$(object_path "$v1")" "$TEST_ROOT/v1-object"
expect_failure 13 mlake fsck
expect_stderr_contains "$v1"
check "checkout of content the lake lacks exits 3 and writes nothing"
snapshot_lake "$TEST_ROOT/snap-missing"
expect_failure 3 mlake checkout --to "$TEST_ROOT/out-missing" model.txt@1
expect_one_error_line
expect_stderr_contains "model.txt"
expect_no_file "$TEST_ROOT/out-missing/model.txt"
expect_lake_unchanged "$TEST_ROOT/snap-missing"
mv "$TEST_ROOT/v1-object" "$(object_path "$v1")"
expect_success mlake fsck

check "a stray file among the objects is a fault"
stray=$(dirname "$(object_path "$blob")")/not-an-object
echo stray >"$stray"
expect_failure 13 mlake fsck
expect_stderr_contains "not-an-object"
rm "$stray"
expect_success mlake fsck

# --- nodes -----------------------------------------------------------------------------
check "an edited node: fsck exits 13 naming the node"
node_file=.mlake/nodes/$node2.json
cp -p "$node_file" "$TEST_ROOT/saved"
chmod u+w "$node_file"
sed -i 's/"message":"v2"/"message":"v2, rewritten"/' "$node_file"
grep -q 'v2, rewritten' "$node_file" || fail "the test could not edit the node"
expect_failure 13 mlake fsck
expect_stderr_contains "fault: node $node2"
expect_failure 13 mlake --json fsck
expect_json '[f["target"] for f in d["faults"] if f["kind"] == "node"]' "[\"$node2\"]"
restore "$node_file"
expect_success mlake fsck

check "a node that is not JSON any more: fsck exits 13 naming it"
damage_flip_byte "$node_file" 0
expect_failure 13 mlake fsck
expect_stderr_contains "$node2"
restore "$node_file"
expect_success mlake fsck

check "a deleted node that is the parent of another: fsck exits 13"
mv ".mlake/nodes/$node1.json" "$TEST_ROOT/node1.json"
expect_failure 13 mlake fsck
expect_stderr_contains "$node1"
expect_stderr_contains "$node2"
mv "$TEST_ROOT/node1.json" ".mlake/nodes/$node1.json"
expect_success mlake fsck

check "a stray file among the nodes is a fault"
echo '{}' >.mlake/nodes/extra.json
expect_failure 13 mlake fsck
expect_stderr_contains "extra.json"
rm .mlake/nodes/extra.json
expect_success mlake fsck
expect_stdout_contains "3 node(s): no faults"

# --- gc --------------------------------------------------------------------------------------
check "fsck counts an unreferenced object and a leftover temporary file, without faults"
printf 'orphan content\n' >"$TEST_ROOT/orphan"
orphan=$(sha256_of "$TEST_ROOT/orphan")
mkdir -p "$(dirname "$(object_path "$orphan")")"
cp "$TEST_ROOT/orphan" "$(object_path "$orphan")"
chmod 444 "$(object_path "$orphan")"
echo "half written" >.mlake/tmp/.object.tmp-4242-0-deadbeef
expect_success mlake fsck
expect_stdout_contains "no faults"
expect_stdout_contains "1 unreferenced object(s) and 1 leftover temporary file(s)"
expect_success mlake --json fsck
expect_json 'd["unreferenced"]' 1
expect_json 'd["temporary"]' 1

check "gc --dry-run lists the unreferenced object and changes nothing"
snapshot_lake "$TEST_ROOT/snap-gc"
expect_success mlake gc --dry-run
expect_stdout_contains "would remove $orphan"
expect_stdout_contains "would remove 1 unreferenced object(s) (15 B) and 1 temporary file(s)"
expect_lake_unchanged "$TEST_ROOT/snap-gc"
expect_success mlake --json gc -n
expect_json 'd["dry_run"]' true
expect_json 'd["objects"]' "[\"$orphan\"]"
expect_json 'd["temporary"]' 1
expect_lake_unchanged "$TEST_ROOT/snap-gc"

check "gc removes the unreferenced object and the temporary file"
expect_success mlake gc
expect_stdout_contains "removed 1 unreferenced object(s) (15 B) and 1 temporary file(s)"
expect_no_file "$(object_path "$orphan")"
expect_no_file .mlake/tmp/.object.tmp-4242-0-deadbeef

check "after gc fsck is clean and counts nothing to collect"
expect_success mlake --json fsck
expect_json 'd["ok"]' true
expect_json 'd["objects"]' 6
expect_json 'd["unreferenced"]' 0
expect_json 'd["temporary"]' 0

check "gc kept every referenced object: all versions still check out"
expect_success mlake checkout --to "$TEST_ROOT/out" data model.txt@1
expect_same_tree "$TEST_ROOT/out/data" "$TEST_ROOT/orig/data"
expect_eq "$(cat "$TEST_ROOT/out/model.txt")" "model v1" "model.txt@1"
expect_success mlake checkout --to "$TEST_ROOT/out2" model.txt@2
expect_eq "$(cat "$TEST_ROOT/out2/model.txt")" "model v2" "model.txt@2"

check "a second gc finds nothing"
snapshot_lake "$TEST_ROOT/snap-gc2"
expect_success mlake gc
expect_stdout_contains "removed 0 unreferenced object(s) (0 B) and 0 temporary file(s)"
expect_lake_unchanged "$TEST_ROOT/snap-gc2"

check "gc refuses (exit 13) to run when a tree is missing, and deletes nothing"
mv "$(object_path "$tree")" "$TEST_ROOT/tree-object"
printf 'orphan content\n' >"$(object_path "$orphan")"
snapshot_lake "$TEST_ROOT/snap-notree"
expect_failure 13 mlake gc
expect_one_error_line
expect_stderr_contains "$tree"
expect_lake_unchanged "$TEST_ROOT/snap-notree"
mv "$TEST_ROOT/tree-object" "$(object_path "$tree")"
expect_success mlake gc
expect_stdout_contains "removed 1 unreferenced object(s)"
expect_success mlake fsck

check "gc in a lake that lost a node deletes none of that node's content"
# node 1 is named as a parent by node 2, so its loss is known (fsck reports
# it); its objects, which mlake.lock still names for data/, may be all that
# is left to repair the lake from. git gc refuses to prune a repository with
# missing commits; gc must at least not delete them.
mv ".mlake/nodes/$node1.json" "$TEST_ROOT/node1.json"
expect_failure 13 mlake fsck
snapshot_lake "$TEST_ROOT/snap-lost"
run_cmd mlake gc
[ "$RC" -eq 0 ] || [ "$RC" -eq 13 ] || fail "gc exited $RC"
expect_lake_unchanged "$TEST_ROOT/snap-lost"
mv "$TEST_ROOT/node1.json" ".mlake/nodes/$node1.json"
expect_success mlake fsck

check "gc refuses to trust a tree whose content does not match its name"
# A valid tree listing fewer files, put where the real one was: it parses,
# but gc must not believe it, or it would delete what the real one lists.
chmod u+w "$(object_path "$tree")"
cp -p "$(object_path "$tree")" "$TEST_ROOT/tree-saved"
printf '{"entries":[],"type":"tree"}' >"$(object_path "$tree")"
snapshot_lake "$TEST_ROOT/snap-fake-tree"
expect_failure 13 mlake gc
expect_one_error_line
expect_stderr_contains "$tree"
expect_lake_unchanged "$TEST_ROOT/snap-fake-tree"
cp -p "$TEST_ROOT/tree-saved" "$(object_path "$tree")"
chmod 444 "$(object_path "$tree")"
expect_success mlake fsck

check "fsck names a deleted head node, which no other node names"
printf 'head content\n' >head.txt
expect_success mlake add -m "a head" head.txt
head=$(lock_value head.txt node)
mv ".mlake/nodes/$head.json" "$TEST_ROOT/head.json"
expect_failure 13 mlake fsck
expect_stderr_contains "$head"
snapshot_lake "$TEST_ROOT/snap-head"
expect_failure 13 mlake gc
expect_lake_unchanged "$TEST_ROOT/snap-head"
mv "$TEST_ROOT/head.json" ".mlake/nodes/$head.json"
expect_success mlake fsck

check "fsck names mlake.lock entries whose content is not in the lake"
cp mlake.lock "$TEST_ROOT/lock-saved"
"$PYTHON" - <<'EOF2'
import re
text = open("mlake.lock").read()
text = re.sub(r"(head.txt:\n(?:    .*\n)*?    hash: )[0-9a-f]{64}", r"\g<1>" + "ab" * 32, text)
open("mlake.lock", "w").write(text)
EOF2
expect_failure 13 mlake fsck
expect_stderr_contains "head.txt"
cp "$TEST_ROOT/lock-saved" mlake.lock
expect_success mlake fsck

expect_hints_name_real_commands
pass
