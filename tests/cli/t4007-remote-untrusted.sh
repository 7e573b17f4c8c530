#!/bin/bash
# Nothing from a remote is trusted. A folder remote is tampered with: an
# object's bytes changed, a node whose content is not its name, well-formed
# nodes (their names are their hashes) that would write outside the
# workspace through "..", an absolute path or a symbolic link, a tree with a
# ".." entry. Each pull is refused with exit 13 naming what is wrong, and
# nothing of it is written.
. ./lib.sh

good=$TEST_ROOT/good
mkdir -p "$WORK/origin"
cd "$WORK/origin"
new_lake
mkdir -p data
echo "a,b" >data/rows.csv
echo "c,d" >data/more.csv
echo "weights" >model.bin
expect_success mlake add -m "v1" data model.bin
expect_success mlake remote add origin "$good"
expect_success mlake push
model_hash=$(sha256_of model.bin)

# forge REMOTE MODE: write to the folder remote REMOTE a node made by hand
# from its one node, as mlake writes nodes (canonical JSON, named by its
# hash), with a child of that node as parent, whose output is:
#   dotdot    a file at "../evil"
#   absolute  a file at the absolute path $EVIL_ABS
#   symlink   a file at "out/evil.txt" (out: a link the victim has)
#   tree      a folder whose tree lists "../evil"
#   misnamed  a harmless file, but the node is stored under a wrong name
#   benign    a harmless file "evil.txt" (the control: it is taken)
# and an object holding "pwned", as the content it names. Prints the id.
forge() {
  "$PYTHON" - "$@" <<'EOF'
import hashlib, json, os, sys
remote, mode = sys.argv[1], sys.argv[2]
def canon(doc):
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
def sha(data):
    return hashlib.sha256(data).hexdigest()
def put(rel, data):
    path = os.path.join(remote, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
[name] = os.listdir(os.path.join(remote, "nodes"))
raw = open(os.path.join(remote, "nodes", name), "rb").read()
parent = json.loads(raw)
# the format this script writes is the one mlake writes: byte for byte
assert canon(parent) == raw and sha(raw) == name[:-5], "not mlake's node format"
node = dict(parent)
node["parents"] = [name[:-5]]
node["message"] = "forged: " + mode
node["time"] = {"start": "2030-01-01T00:00:00.000000Z", "end": "2030-01-01T00:00:01.000000Z"}
payload = b"pwned\n"
blob = sha(payload)
put("objects/%s/%s" % (blob[:2], blob[2:]), payload)
output = {"artifact": "evil", "hash": blob, "path": "evil.txt", "role": "output",
          "size": len(payload), "type": "file"}
if mode == "dotdot":
    output["path"] = "../evil"
elif mode == "absolute":
    output["path"] = os.environ["EVIL_ABS"]
elif mode == "symlink":
    output["path"] = "out/evil.txt"
elif mode == "tree":
    tree = canon({"entries": [{"exec": False, "hash": blob, "path": "../evil", "size": len(payload)}],
                  "type": "tree"})
    tree_hash = sha(tree)
    put("objects/%s/%s" % (tree_hash[:2], tree_hash[2:]), tree)
    output = {"artifact": "data", "files": 1, "hash": tree_hash, "path": "data", "role": "output",
              "size": len(payload), "type": "dir"}
    print(tree_hash, end=" ")
node["outputs"] = [output]
node["metadata"] = {output["artifact"]: {"kind": "dataset", "security": "internal"}}
data = canon(node)
node_id = sha(data)
if mode == "misnamed":
    node_id = sha(data + b" ")
put("nodes/%s.json" % node_id, data)
print(node_id)
EOF
}

# The victim: a clone of the good remote, with a remote for each forgery.
cd "$WORK"
expect_success mlake clone "$good" victim
cd victim
victim=$WORK/victim
export EVIL_ABS=$TEST_ROOT/evil-absolute

nodes_here() {
  count_files "$victim/.mlake/nodes"
}

# remote_with MODE: a copy of the good remote with a forgery; the victim
# gets it as remote MODE. Sets FORGED (the node id) and TREE (for "tree").
remote_with() {
  local out
  cp -a "$good" "$TEST_ROOT/remote-$1"
  chmod -R u+w "$TEST_ROOT/remote-$1"
  out=$(forge "$TEST_ROOT/remote-$1" "$1") || fail "cannot forge a '$1' node: $out"
  FORGED=${out##* }
  TREE=${out%% *}
  expect_success mlake remote add "$1" "$TEST_ROOT/remote-$1"
  snapshot_lake "$TEST_ROOT/snap"
  tree_listing "$victim" >"$TEST_ROOT/workspace"
  NODES_BEFORE=$(nodes_here)
}

# refused_pull MODE: pull from the forged remote exits 13 with one error
# line, and writes nothing: the lake, its nodes and the workspace are as
# they were, and "pwned" is nowhere.
refused_pull() {
  expect_failure 13 mlake pull "$1"
  expect_one_error_line
  expect_eq "$(nodes_here)" "$NODES_BEFORE" "nodes in the lake"
  expect_lake_unchanged "$TEST_ROOT/snap"
  tree_listing "$victim" >"$TEST_ROOT/workspace-now"
  cmp -s "$TEST_ROOT/workspace" "$TEST_ROOT/workspace-now" ||
    fail "the workspace changed:"$'\n'"$(diff "$TEST_ROOT/workspace" "$TEST_ROOT/workspace-now")"
  expect_no_file "$WORK/evil"
  expect_no_file "$TEST_ROOT/evil"
  expect_no_file "$EVIL_ABS"
  ! grep -rlqs pwned "$TEST_ROOT/outside" "$victim" || fail "'pwned' was written"
}

check "a changed object: pull exits 13 naming it, and stores nothing of it"
cp -a "$good" "$TEST_ROOT/remote-damaged"
damaged=$TEST_ROOT/remote-damaged/objects/${model_hash:0:2}/${model_hash:2}
chmod u+w "$damaged"
echo "weightz" >"$damaged"
mkdir -p "$WORK/fresh"
cd "$WORK/fresh"
new_lake
expect_success mlake remote add origin "$TEST_ROOT/remote-damaged"
expect_failure 13 mlake pull
expect_one_error_line
expect_stderr_contains "$model_hash"
expect_stderr_contains "damaged"
expect_no_file "$(object_path "$model_hash")"
expect_no_file model.bin
expect_success mlake --json fsck
expect_json '[d["ok"], d["faults"]]' '[true,[]]'

check "a changed object: clone exits 13 and leaves no folder"
cd "$WORK"
expect_failure 13 mlake clone "$TEST_ROOT/remote-damaged" damaged-clone
expect_one_error_line
expect_stderr_contains "$model_hash"
expect_no_file "$WORK/damaged-clone"

check "the object repaired, the same pull completes"
cp "$WORK/origin/model.bin" "$damaged"
cd "$WORK/fresh"
expect_success mlake pull
expect_success mlake --json fsck
expect_json '[d["ok"], d["faults"], d["not_downloaded"]]' '[true,[],0]'
expect_same_tree "$WORK/fresh" "$WORK/origin"
expect_success mlake fsck
cd "$victim"

check "a node whose content does not match its name: refused, no node written"
remote_with misnamed
refused_pull misnamed
expect_stderr_contains "$FORGED"
expect_failure 13 mlake fetch misnamed
expect_lake_unchanged "$TEST_ROOT/snap"

check "a well-formed node writing to ../evil: refused, nothing written"
remote_with dotdot
refused_pull dotdot
expect_stderr_contains "$FORGED"
expect_stderr_contains "'../evil'"
expect_failure 13 mlake fetch dotdot
expect_lake_unchanged "$TEST_ROOT/snap"
cd "$WORK"
expect_failure 13 mlake clone "$TEST_ROOT/remote-dotdot" dotdot-clone
expect_no_file "$WORK/dotdot-clone"
expect_no_file "$WORK/evil"
cd "$victim"

check "a well-formed node writing to an absolute path: refused, nothing written"
remote_with absolute
refused_pull absolute
expect_stderr_contains "$FORGED"
expect_stderr_contains "'$EVIL_ABS'"

check "a well-formed node writing to /etc/x: refused"
cp -a "$good" "$TEST_ROOT/remote-etc"
chmod -R u+w "$TEST_ROOT/remote-etc"
[ ! -e /etc/x ] || fail "/etc/x exists before the test"
FORGED=$(EVIL_ABS=/etc/x forge "$TEST_ROOT/remote-etc" absolute) || fail "cannot forge"
expect_success mlake remote add etc "$TEST_ROOT/remote-etc"
snapshot_lake "$TEST_ROOT/snap"
NODES_BEFORE=$(nodes_here)
refused_pull etc
expect_stderr_contains "'/etc/x'"
expect_no_file /etc/x

check "a tree listing a '..' path: refused naming it, nothing written"
remote_with tree
refused_pull tree
expect_stderr_contains "$TREE"
expect_stderr_contains "'../evil'"
expect_no_file "$(object_path "$TREE")"
expect_success mlake --json fsck
expect_json '[d["ok"], d["faults"]]' '[true,[]]'

check "after all that, the victim's lake is sound and still pulls from the good remote"
expect_success mlake --json fsck
expect_json '[d["ok"], d["faults"]]' '[true,[]]'
expect_success mlake --json pull origin
expect_json 'd["nodes"]' 0
expect_same_tree "$victim" "$WORK/origin"

check "a node writing through a symbolic link the workspace has: nothing written outside"
cd "$WORK"
expect_success mlake clone "$good" victim2
cd victim2
victim=$WORK/victim2
mkdir -p "$TEST_ROOT/outside"
ln -s "$TEST_ROOT/outside" out
remote_with symlink
run_cmd mlake pull symlink
echo "pull through a symbolic link: exit $RC"
expect_no_file "$TEST_ROOT/outside/evil.txt"
! grep -rlqs pwned "$TEST_ROOT/outside" || fail "'pwned' was written outside the workspace"
[ "$RC" -ne 0 ] || fail "the pull succeeded (and wrote nowhere?)"
expect_one_error_line
expect_stderr_contains "$victim/out'"
expect_stderr_contains "symbolic link"
expect_success mlake --json fsck
expect_json '[d["ok"], d["faults"]]' '[true,[]]'

check "control: the same forgery with a harmless path is taken"
cd "$WORK"
expect_success mlake clone "$good" victim3
cd victim3
victim=$WORK/victim3
remote_with benign
expect_success mlake pull benign
expect_eq "$(cat evil.txt)" "pwned" "the harmless forgery's file"
expect_eq "$(nodes_here)" $((NODES_BEFORE + 1)) "nodes in the lake"

expect_hints_name_real_commands
pass
