#!/bin/bash
# add files and folders, versions, mlake.lock, and status.
. ./lib.sh

new_lake
mkdir -p data/sub
cp "$TESTDATA/iris.csv" data/iris.csv
printf 'first notes\n' >data/notes.txt
random_file data/sub/x.bin 5000 x1
random_file model.pt 3000 model1
cp "$TESTDATA/train.py" train.py

count_nodes() { find .mlake/nodes -name '*.json' | wc -l; }

# --- the first add ---------------------------------------------------------------
check "add a folder and a file"
expect_success mlake add -m "first import" data model.pt
expect_stdout_contains "added    data  @1  (3 files, "
expect_stdout_contains "added    model.pt  @1  (2.9 KiB)"
grep -qE '^recorded node [0-9a-f]{10}$' "$OUT" || fail "no 'recorded node ID' line"
node1=$(sed -n 's/^recorded node //p' "$OUT")
expect_eq "$(count_nodes)" 1 "number of nodes"

check "the node is stored under its own hash"
node1_file=$(ls .mlake/nodes/"$node1"*.json)
node1_id=$(basename "$node1_file" .json)
expect_eq "$(sha256_of "$node1_file")" "$node1_id" "sha256 of the node file"
"$PYTHON" - "$node1_file" <<'EOF' || fail "the node file is not as expected"
import json, sys
raw = open(sys.argv[1], "rb").read()
d = json.loads(raw)
# canonical: sorted keys, no insignificant whitespace
assert raw == json.dumps(d, sort_keys=True, separators=(",", ":"),
                         ensure_ascii=False).encode(), "not canonical JSON"
assert d["kind"] == "add", d["kind"]
assert d["message"] == "first import"
assert d["parents"] == [], d["parents"]
assert d["user"] == {"name": "Test User", "email": "test@example.com"}, d["user"]
assert sorted(o["artifact"] for o in d["outputs"]) == ["data", "model.pt"]
assert d["inputs"] == []
assert d["time"]["start"] <= d["time"]["end"]
EOF

check "mlake.lock records each path: artifact, kind, type, size, hash, node"
expect_file mlake.lock
expect_eq "$(lock_value model.pt artifact)" model.pt "model.pt artifact"
expect_eq "$(lock_value model.pt kind)" model "model.pt kind"
expect_eq "$(lock_value model.pt type)" file "model.pt type"
expect_eq "$(lock_value model.pt size)" 3000 "model.pt size"
expect_eq "$(lock_value model.pt hash)" "$(sha256_of model.pt)" "model.pt hash"
expect_eq "$(lock_value model.pt node)" "$node1_id" "model.pt node"
expect_eq "$(lock_value data artifact)" data "data artifact"
expect_eq "$(lock_value data kind)" dataset "data kind"
expect_eq "$(lock_value data type)" dir "data type"
data_size=$(($(stat -c %s data/iris.csv) + $(stat -c %s data/notes.txt) + 5000))
expect_eq "$(lock_value data size)" "$data_size" "data size"
expect_eq "$(lock_value data files)" 3 "data files"
expect_eq "$(lock_value data node)" "$node1_id" "data node"
tree1=$(lock_value data hash)
[[ $tree1 =~ ^[0-9a-f]{64}$ ]] || fail "data hash '$tree1' is not a sha256"

check "the blobs are stored read-only under their sha256"
for f in model.pt data/iris.csv data/notes.txt data/sub/x.bin; do
  obj=$(object_path "$(sha256_of "$f")")
  expect_file "$obj"
  expect_same_file "$f" "$obj"
  [ "$(stat -c %a "$obj")" = 444 ] || fail "$obj has mode $(stat -c %a "$obj"), not 444"
done

check "the folder's tree object lists every file with its hash, size and exec bit"
tree_obj=$(object_path "$tree1")
expect_file "$tree_obj"
expect_eq "$(sha256_of "$tree_obj")" "$tree1" "sha256 of the tree object"
"$PYTHON" - "$tree_obj" data <<'EOF' || fail "the tree does not describe data/"
import hashlib, json, os, sys
tree = json.load(open(sys.argv[1]))
top = sys.argv[2]
want = []
for dirpath, _, files in os.walk(top):
    for name in files:
        p = os.path.join(dirpath, name)
        want.append({"path": os.path.relpath(p, top),
                     "hash": hashlib.sha256(open(p, "rb").read()).hexdigest(),
                     "size": os.path.getsize(p),
                     "exec": bool(os.stat(p).st_mode & 0o100)})
want.sort(key=lambda e: e["path"])
assert tree["type"] == "tree", tree
assert tree["entries"] == want, (tree["entries"], want)
EOF

check "status is clean after add"
expect_success mlake status
expect_stdout "clean: 2 tracked path(s) match mlake.lock"
expect_success mlake status --exit-code
expect_success mlake --json status
expect_json 'd["clean"]' true
expect_json 'd["tracked"]' 2
expect_json 'd["changes"]' '[]'
expect_success mlake fsck

# --- unchanged content --------------------------------------------------------------
check "adding unchanged content records nothing and says so"
snapshot_lake "$TEST_ROOT/snap1"
expect_success mlake add -m "again" data model.pt
expect_stdout_contains "unchanged data  @1"
expect_stdout_contains "unchanged model.pt  @1"
expect_stdout_contains "nothing new to record"
expect_stdout_not_contains "recorded node"
expect_eq "$(count_nodes)" 1 "number of nodes"
expect_lake_unchanged "$TEST_ROOT/snap1"

check "unchanged content with new metadata points to annotate and records nothing"
expect_success mlake add -m "again" --owner someone model.pt
expect_stdout_contains "nothing new to record"
expect_stdout_contains "mlake annotate"
expect_lake_unchanged "$TEST_ROOT/snap1"

check "add --json of unchanged content"
expect_success mlake --json add -m "again" model.pt
expect_json 'd["node"]' null
expect_json 'd["paths"][0]["changed"]' false
expect_json 'd["paths"][0]["version"]' 1
expect_json 'd["stored"]["files"]' 0
expect_lake_unchanged "$TEST_ROOT/snap1"

# --- versions --------------------------------------------------------------------
check "a changed file becomes version 2"
random_file model.pt 3500 model2
expect_success mlake add -m "retrained" model.pt
expect_stdout_contains "updated  model.pt  @2  (3.4 KiB)"
expect_eq "$(count_nodes)" 2 "number of nodes"
expect_eq "$(lock_value model.pt hash)" "$(sha256_of model.pt)" "model.pt hash after v2"
expect_eq "$(lock_value model.pt size)" 3500 "model.pt size after v2"
expect_eq "$(lock_value data hash)" "$tree1" "data hash (untouched)"
expect_success mlake --json show model.pt
expect_json 'd["versions"]' 2
expect_json '[v["version"] for v in d["history"]]' '[1,2]'
expect_json 'd["history"][1]["hash"]' "$(sha256_of model.pt)"
expect_json 'd["history"][0]["message"]' "first import"
expect_json 'd["history"][1]["message"]' "retrained"

check "the second node names the first as its parent"
node2_id=$(lock_value model.pt node)
expect_ne "$node2_id" "$node1_id" "model.pt node after v2"
"$PYTHON" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["parents"]==[sys.argv[2]], d["parents"]' \
  ".mlake/nodes/$node2_id.json" "$node1_id" || fail "node 2's parents are not [node 1]"

check "add --json of a change reports the version and what was stored"
random_file model.pt 3600 model3
expect_success mlake --json add -m "third" model.pt
expect_json 'd["paths"][0]["path"]' model.pt
expect_json 'd["paths"][0]["artifact"]' model.pt
expect_json 'd["paths"][0]["type"]' file
expect_json 'd["paths"][0]["hash"]' "$(sha256_of model.pt)"
expect_json 'd["paths"][0]["size"]' 3600
expect_json 'd["paths"][0]["version"]' 3
expect_json 'd["paths"][0]["changed"]' true
expect_json 'd["paths"][0]["new_artifact"]' false
expect_json 'd["stored"]' '{"bytes":3600,"files":1}'
node3_id=$(json_value 'd["node"]')
expect_eq "$(lock_value model.pt node)" "$node3_id" "model.pt node after v3"

check "going back to earlier content is a new version with an old hash"
random_file model.pt 3000 model1
expect_success mlake add -m "back to the first model" model.pt
expect_stdout_contains "updated  model.pt  @4"
expect_success mlake --json show model.pt
expect_json 'd["history"][3]["hash"] == d["history"][0]["hash"]' true

# --- status ------------------------------------------------------------------------
check "a modified file inside a tracked folder"
printf 'second notes\n' >data/notes.txt
expect_success mlake status
expect_stdout "modified  data/notes.txt"
expect_failure 1 mlake status --exit-code
expect_stdout "modified  data/notes.txt"
expect_success mlake --json status
expect_json 'd["clean"]' false
expect_json 'd["tracked"]' 2
expect_json 'd["changes"]' '[{"artifact":"data","change":"modified","path":"data/notes.txt"}]'

check "a deleted file and a new file inside a tracked folder"
rm data/sub/x.bin
printf 'a,b\n1,2\n' >data/new.csv
expect_failure 1 mlake status --exit-code
expect_stdout "new       data/new.csv
modified  data/notes.txt
deleted   data/sub/x.bin"
expect_success mlake --json status
expect_json '[(c["path"], c["change"], c["artifact"]) for c in d["changes"]]' \
  '[["data/new.csv","new","data"],["data/notes.txt","modified","data"],["data/sub/x.bin","deleted","data"]]'

check "a modified and a deleted tracked file"
random_file model.pt 3000 other
expect_success mlake status model.pt
expect_stdout "modified  model.pt"
rm model.pt
expect_success mlake status model.pt
expect_stdout "deleted   model.pt"

check "status PATH limits the report"
expect_success mlake status data
expect_stdout "new       data/new.csv
modified  data/notes.txt
deleted   data/sub/x.bin"
expect_success mlake status data/notes.txt
expect_stdout "modified  data/notes.txt"
expect_success mlake status data/sub
expect_stdout "deleted   data/sub/x.bin"
expect_success mlake --json status data/sub/x.bin
expect_json 'd["changes"]' '[{"artifact":"data","change":"deleted","path":"data/sub/x.bin"}]'
expect_json 'd["tracked"]' 1

check "status PATH from a subfolder takes paths relative to it"
cd data
expect_success mlake status notes.txt
expect_stdout "modified  data/notes.txt"
cd ..

check "status of an untracked path exits 3"
echo loose >loose.txt
expect_failure 3 mlake status loose.txt
expect_one_error_line
expect_stderr_contains "'loose.txt' is not tracked"
expect_failure 3 mlake status no-such-file
expect_one_error_line

check "status clean on an unchanged path while others differ"
mkdir clean
echo same >clean/a.txt
expect_success mlake add -m "a clean folder" clean
expect_success mlake status --exit-code clean
expect_stdout_contains "clean: 1 tracked path(s)"

check "adding the changes records version 2 of the folder; status is clean"
random_file model.pt 3000 model1
expect_success mlake add -m "new notes" data
expect_stdout_contains "updated  data  @2  (3 files, "
expect_success mlake status --exit-code
expect_stdout "clean: 3 tracked path(s) match mlake.lock"
expect_ne "$(lock_value data hash)" "$tree1" "data hash after v2"

check "an exec bit change alone is a change"
chmod +x data/new.csv
expect_failure 1 mlake status --exit-code
expect_stdout "modified  data/new.csv"
expect_success mlake add -m "make it executable" data
expect_stdout_contains "updated  data  @3"
expect_success mlake status --exit-code
chmod -x data/new.csv
expect_failure 1 mlake status --exit-code
expect_success mlake add -m "not executable after all" data
expect_stdout_contains "updated  data  @4"

check "a single file's exec bit is recorded, and a change of it alone is a change"
expect_success mlake add -m "the script" train.py
expect_eq "$(lock_value train.py exec || echo absent)" absent "exec of train.py in mlake.lock"
chmod +x train.py
expect_failure 1 mlake status --exit-code train.py
expect_stdout "modified  train.py"
expect_success mlake add -m "the script, executable" train.py
expect_stdout_contains "updated  train.py  @2"
expect_eq "$(lock_value train.py exec)" true "exec of train.py in mlake.lock"
expect_success mlake status --exit-code train.py

check "a folder that replaced a tracked file, and a file that replaced a folder"
mv model.pt model.keep && mkdir model.pt
expect_success mlake status model.pt
expect_stdout "modified  model.pt"
rmdir model.pt && mv model.keep model.pt
mv clean clean.keep && echo x >clean
expect_success mlake status clean
expect_stdout "modified  clean"
rm clean && mv clean.keep clean
expect_success mlake status --exit-code

# --- changes the stat cache must not hide ------------------------------------------------
check "a same-size rewrite right after add is seen (racy clean)"
for i in 1 2 3 4 5; do
  printf 'AAAA%s\n' "$i" >racy.txt
  expect_success mlake add -m "racy $i" racy.txt
  printf 'BBBB%s\n' "$i" >racy.txt
  expect_failure 1 mlake status --exit-code racy.txt
  expect_stdout "modified  racy.txt"
done
expect_success mlake add -m "racy, final" racy.txt

check "a same-size rewrite with the old mtime put back is seen"
printf 'one\n' >stamp.txt
touch -d '2020-01-01 00:00:00' stamp.txt
expect_success mlake add -m "stamp" stamp.txt
expect_success mlake status --exit-code stamp.txt
printf 'two\n' >stamp.txt
touch -d '2020-01-01 00:00:00' stamp.txt
expect_failure 1 mlake status --exit-code stamp.txt
expect_stdout "modified  stamp.txt"
expect_success mlake add -m "stamp 2" stamp.txt
expect_stdout_contains "updated  stamp.txt  @2"

check "inside a folder: a same-size rewrite right after add is seen"
mkdir -p racydir/sub
for i in 1 2 3 4 5; do
  printf 'AAAA%s\n' "$i" >racydir/sub/r.txt
  printf 'keep\n' >racydir/k.txt
  expect_success mlake add -m "racy folder $i" racydir
  printf 'BBBB%s\n' "$i" >racydir/sub/r.txt
  expect_failure 1 mlake status --exit-code racydir
  expect_stdout "modified  racydir/sub/r.txt"
done
expect_success mlake add -m "racy folder, final" racydir

check "inside a folder: a same-size rewrite with the old mtime put back is seen"
touch -d '2020-01-01 00:00:00' racydir/sub/r.txt racydir/k.txt
expect_success mlake add -m "old stamps" racydir
expect_success mlake status --exit-code racydir
expect_success mlake status --exit-code racydir
printf 'KEEP\n' >racydir/k.txt
touch -d '2020-01-01 00:00:00' racydir/k.txt
expect_failure 1 mlake status --exit-code racydir
expect_stdout "modified  racydir/k.txt"

check "inside a folder: a file replaced by another of the same size and mtime is seen"
printf 'keep\n' >racydir/k.txt
touch -d '2020-01-01 00:00:00' racydir/k.txt
expect_success mlake status --exit-code racydir
printf 'KeeP\n' >racydir/k.new
touch -d '2020-01-01 00:00:00' racydir/k.new
mv racydir/k.new racydir/k.txt
expect_failure 1 mlake status --exit-code racydir
expect_stdout "modified  racydir/k.txt"
printf 'keep\n' >racydir/k.txt
expect_success mlake status --exit-code racydir

# --- more about add ---------------------------------------------------------------------
check "add infers the kind from the name"
cp "$TESTDATA/iris.csv" iris.csv
echo 'plain' >README
cp train.py scripts.py
expect_success mlake add -m "kinds" iris.csv scripts.py README
expect_eq "$(lock_value iris.csv kind)" dataset "kind of iris.csv"
expect_eq "$(lock_value scripts.py kind)" code "kind of scripts.py"
expect_eq "$(lock_value README kind)" other "kind of README"

check "add --name, --kind, --owner, --description, --security and --tag"
mkdir -p raw
cp "$TESTDATA/iris.csv" raw/iris-copy.csv
expect_success mlake add -m "the raw copy" --name iris-raw --kind other \
  --owner "Data Team" --description "Fisher's iris, as downloaded" \
  --security confidential --tag flowers --tag raw raw/iris-copy.csv
expect_stdout_contains "added    raw/iris-copy.csv as 'iris-raw'  @1"
expect_eq "$(lock_value raw/iris-copy.csv artifact)" iris-raw "artifact of raw/iris-copy.csv"
expect_eq "$(lock_value raw/iris-copy.csv kind)" other "kind of raw/iris-copy.csv"
expect_success mlake --json show iris-raw
expect_json 'd["name"]' iris-raw
expect_json 'd["kind"]' other
expect_json 'd["owner"]' "Data Team"
expect_json 'd["description"]' "Fisher's iris, as downloaded"
expect_json 'd["security"]' confidential
expect_json 'sorted(d["tags"])' '["flowers","raw"]'
expect_json 'd["path"]' raw/iris-copy.csv

check "identical content under two paths is stored once"
before=$(find .mlake/objects -type f | wc -l)
cp "$TESTDATA/iris.csv" raw/iris-again.csv
expect_success mlake --json add -m "a second copy" raw/iris-again.csv
expect_json 'd["stored"]["files"]' 0
expect_eq "$(find .mlake/objects -type f | wc -l)" "$before" "number of objects"
expect_eq "$(lock_value raw/iris-again.csv hash)" "$(lock_value iris.csv hash)" "hash of the copies"

check "a path given twice is added once"
printf 'twice\n' >twice.txt
expect_success mlake --json add -m "twice" twice.txt ./twice.txt
expect_json 'len(d["paths"])' 1

check "an empty folder can be tracked and comes back clean"
mkdir empty
expect_success mlake add -m "an empty folder" empty
expect_stdout_contains "added    empty  @1  (0 files, 0 B)"
expect_success mlake status --exit-code empty

check "paths with spaces and unicode"
mkdir -p "odd dir"
printf 'x\n' >"odd dir/café latte.txt"
expect_success mlake add -m "odd names" "odd dir"
expect_success mlake status --exit-code
printf 'y\n' >"odd dir/café latte.txt"
expect_success mlake status
expect_stdout "modified  odd dir/café latte.txt"
expect_success mlake add -m "odd names 2" "odd dir"

check "data/, ./data, an absolute path and . inside it all name the same artifact"
mkdir spell
echo s >spell/s.txt
expect_success mlake add -m "spell 1" spell/
expect_stdout_contains "added    spell  @1"
expect_success mlake add -m "spell 2" ./spell
expect_stdout_contains "unchanged spell  @1"
expect_success mlake add -m "spell 3" "$WORK/spell"
expect_stdout_contains "unchanged spell  @1"
cd spell
expect_success mlake add -m "spell 4" .
expect_stdout_contains "unchanged spell  @1"
cd ..
expect_success mlake --json list
expect_json '[a["name"] for a in d if a["name"].startswith("spell")]' '["spell"]'

check "--tag takes one value: the paths after it are still paths"
printf 'one\n' >tagged1.txt
printf 'two\n' >tagged2.txt
expect_success mlake --json add -m "tagged" --tag nightly tagged1.txt tagged2.txt
expect_json '[p["path"] for p in d["paths"]]' '["tagged1.txt","tagged2.txt"]'
expect_success mlake --json show tagged1.txt
expect_json 'd["tags"]' '["nightly"]'

check "the whole lake is sound"
expect_success mlake status --exit-code
expect_success mlake fsck
expect_stdout_contains "no faults"

expect_hints_name_real_commands
pass
