#!/bin/bash
# checkout: everything in mlake.lock, NAME@VERSION, refusals, --force, --to,
# exec bits, unknown artifacts and versions.
. ./lib.sh

new_lake
mkdir -p data/sub
cp "$TESTDATA/iris.csv" data/iris.csv
printf 'notes v1\n' >data/notes.txt
random_file data/sub/blob.bin 70000 blob1
cp "$TESTDATA/train.py" data/train.py
chmod +x data/train.py
random_file model.pt 4000 m1
cp "$TESTDATA/train.py" train.py
chmod +x train.py
expect_success mlake add -m "v1" data model.pt
expect_success mlake add -m "the script" train.py
mkdir -p "$TEST_ROOT/v1"
cp -a data model.pt "$TEST_ROOT/v1/"
lock_v1=$(cat mlake.lock)

# version 2 of both: a changed file, a new file, a new executable
printf 'notes v2\n' >data/notes.txt
printf 'added in v2\n' >data/sub/added.txt
printf '#!/bin/sh\necho v2\n' >data/run.sh
chmod +x data/run.sh
random_file model.pt 4100 m2
expect_success mlake add -m "v2" data model.pt
mkdir -p "$TEST_ROOT/v2"
cp -a data model.pt "$TEST_ROOT/v2/"
lock_v2=$(cat mlake.lock)

# --- everything in mlake.lock -----------------------------------------------------
check "checkout brings back deleted files and folders"
rm -rf data model.pt
expect_success mlake checkout
expect_stdout_contains "data"
expect_stdout_contains "model.pt"
expect_stdout_contains "7 file(s) written, 1 unchanged"
expect_same_tree data "$TEST_ROOT/v2/data"
expect_same_file model.pt "$TEST_ROOT/v2/model.pt"
expect_eq "$(cat mlake.lock)" "$lock_v2" "mlake.lock"
expect_success mlake status --exit-code

check "a second checkout writes nothing"
expect_success mlake checkout
expect_stdout_contains "0 file(s) written, 8 unchanged"

check "checkout restores a single deleted file inside a folder"
rm data/sub/blob.bin
expect_success mlake checkout
expect_stdout_contains "1 file(s) written, 7 unchanged"
expect_same_tree data "$TEST_ROOT/v2/data"

check "exec bits come back with the files"
[ -x data/train.py ] || fail "data/train.py is not executable after checkout"
[ -x data/run.sh ] || fail "data/run.sh is not executable after checkout"
[ ! -x data/notes.txt ] || fail "data/notes.txt is executable after checkout"
[ ! -x model.pt ] || fail "model.pt is executable after checkout"

check "a single executable file comes back executable"
rm train.py
expect_success mlake checkout train.py
[ -x train.py ] || fail "train.py is not executable after checkout"
expect_same_file train.py "$TESTDATA/train.py"

check "checked-out files are ordinary writable files (umask 022)"
expect_eq "$(stat -c %a data/notes.txt)" 644 "mode of data/notes.txt"
expect_eq "$(stat -c %a data/run.sh)" 755 "mode of data/run.sh"

check "checkout puts back a lost exec bit"
chmod -x data/run.sh
expect_failure 1 mlake status --exit-code
expect_success mlake checkout
[ -x data/run.sh ] || fail "data/run.sh is not executable after checkout"
expect_success mlake status --exit-code

check "checkout ARTIFACT only touches that artifact"
rm model.pt data/notes.txt
expect_success mlake checkout model.pt
expect_same_file model.pt "$TEST_ROOT/v2/model.pt"
expect_no_file data/notes.txt
expect_success mlake checkout data
expect_same_tree data "$TEST_ROOT/v2/data"

# --- NAME@VERSION of a file ---------------------------------------------------------
check "NAME@1 brings the old version of a file back and updates mlake.lock"
expect_success mlake checkout model.pt@1
expect_stdout_contains "model.pt  (model.pt@1)"
expect_same_file model.pt "$TEST_ROOT/v1/model.pt"
expect_eq "$(lock_value model.pt hash)" "$(sha256_of "$TEST_ROOT/v1/model.pt")" "model.pt hash in mlake.lock"
expect_eq "$(lock_value model.pt size)" 4000 "model.pt size in mlake.lock"
expect_eq "$(lock_value data hash)" "$(lock_value data hash <(echo "$lock_v2"))" "data hash in mlake.lock"
expect_success mlake status --exit-code

check "NAME@latest and a hash prefix pick versions too"
expect_success mlake checkout model.pt@latest
expect_same_file model.pt "$TEST_ROOT/v2/model.pt"
v1hash=$(sha256_of "$TEST_ROOT/v1/model.pt")
expect_success mlake checkout "model.pt@${v1hash:0:12}"
expect_same_file model.pt "$TEST_ROOT/v1/model.pt"
expect_success mlake checkout model.pt@2
expect_same_file model.pt "$TEST_ROOT/v2/model.pt"
expect_eq "$(cat mlake.lock)" "$lock_v2" "mlake.lock back at v2"

# --- refusals -----------------------------------------------------------------------------
check "checkout refuses (exit 1) to overwrite a modified file; nothing is written"
random_file model.pt 4100 precious
cp model.pt "$TEST_ROOT/precious"
rm data/notes.txt
snapshot_lake "$TEST_ROOT/snap"
expect_failure 1 mlake checkout
expect_one_error_line
expect_stderr_contains "'model.pt'"
expect_stderr_contains "--force"
expect_same_file model.pt "$TEST_ROOT/precious"
expect_no_file data/notes.txt
expect_lake_unchanged "$TEST_ROOT/snap"
expect_failure 1 mlake checkout model.pt@1
expect_one_error_line
expect_same_file model.pt "$TEST_ROOT/precious"
expect_lake_unchanged "$TEST_ROOT/snap"

check "checkout refuses to overwrite a modified file inside a folder"
printf 'local edit\n' >data/sub/added.txt
expect_failure 1 mlake checkout data
expect_one_error_line
expect_stderr_contains "'data/sub/added.txt'"
expect_eq "$(cat data/sub/added.txt)" "local edit" "data/sub/added.txt"
expect_no_file data/notes.txt
expect_lake_unchanged "$TEST_ROOT/snap"

check "checkout refuses to delete an untracked file inside a tracked folder"
printf 'local edit\n' >"$TEST_ROOT/local-edit"
cp "$TEST_ROOT/v2/data/sub/added.txt" data/sub/added.txt
printf 'mine\n' >data/sub/untracked.txt
expect_failure 1 mlake checkout data
expect_one_error_line
expect_stderr_contains "'data/sub/untracked.txt'"
expect_eq "$(cat data/sub/untracked.txt)" "mine" "data/sub/untracked.txt"
expect_lake_unchanged "$TEST_ROOT/snap"

check "checkout refuses to replace a folder standing where a file goes"
mv model.pt "$TEST_ROOT/model.aside"
mkdir model.pt
echo inside >model.pt/inside.txt
expect_failure 1 mlake checkout model.pt
expect_one_error_line
expect_eq "$(cat model.pt/inside.txt)" inside "model.pt/inside.txt"
rm -r model.pt
mv "$TEST_ROOT/model.aside" model.pt

# --- --force -----------------------------------------------------------------------------
check "--force overwrites a modified file"
expect_success mlake checkout --force model.pt
expect_same_file model.pt "$TEST_ROOT/v2/model.pt"
check "--force removes an untracked file inside a tracked folder"
expect_success mlake checkout -f data
expect_no_file data/sub/untracked.txt
expect_same_tree data "$TEST_ROOT/v2/data"
expect_success mlake status --exit-code
expect_eq "$(cat mlake.lock)" "$lock_v2" "mlake.lock"

# --- --to ------------------------------------------------------------------------------------
check "--to DIR writes everything of mlake.lock into DIR and leaves the workspace alone"
printf 'uncommitted\n' >data/notes.txt
snapshot_lake "$TEST_ROOT/snap2"
expect_success mlake checkout --to "$TEST_ROOT/out"
expect_same_tree "$TEST_ROOT/out/data" "$TEST_ROOT/v2/data"
expect_same_file "$TEST_ROOT/out/model.pt" "$TEST_ROOT/v2/model.pt"
expect_eq "$(cat data/notes.txt)" "uncommitted" "data/notes.txt"
expect_lake_unchanged "$TEST_ROOT/snap2"
[ -x "$TEST_ROOT/out/data/run.sh" ] || fail "out/data/run.sh is not executable"

check "--to DIR with an old version does not change mlake.lock"
expect_success mlake checkout --to out-v1 data@1 model.pt@1
expect_same_tree out-v1/data "$TEST_ROOT/v1/data"
expect_same_file out-v1/model.pt "$TEST_ROOT/v1/model.pt"
expect_lake_unchanged "$TEST_ROOT/snap2"
expect_eq "$(cat data/notes.txt)" "uncommitted" "data/notes.txt"

check "--to a relative DIR from a subfolder is relative to the subfolder"
cd data/sub
expect_success mlake checkout --to there model.pt@1
expect_same_file there/model.pt "$TEST_ROOT/v1/model.pt"
rm -r there
cd "$WORK"

check "--to --json reports the target and the counts"
expect_success mlake --json checkout --to "$TEST_ROOT/out3" model.pt
expect_json 'd["target"]' "$TEST_ROOT/out3"
expect_json 'd["written"]' 1
expect_json 'd["paths"][0]["path"]' model.pt
expect_json 'd["paths"][0]["hash"]' "$(sha256_of "$TEST_ROOT/v2/model.pt")"

check "--to DIR refuses to overwrite a file of its own there"
mkdir -p "$TEST_ROOT/out4"
echo "someone else's" >"$TEST_ROOT/out4/model.pt"
expect_failure 1 mlake checkout --to "$TEST_ROOT/out4" model.pt
expect_one_error_line
expect_eq "$(cat "$TEST_ROOT/out4/model.pt")" "someone else's" "out4/model.pt"
expect_success mlake checkout --force --to "$TEST_ROOT/out4" model.pt
expect_same_file "$TEST_ROOT/out4/model.pt" "$TEST_ROOT/v2/model.pt"

cp "$TEST_ROOT/v2/data/notes.txt" data/notes.txt
expect_success mlake status --exit-code

# --- symbolic links in the way ---------------------------------------------------------
mkdir -p "$TEST_ROOT/outside"
check "a tracked folder replaced by a link leading outside: checkout refuses, writes nothing there"
mv data "$TEST_ROOT/data.aside"
ln -s "$TEST_ROOT/outside" data
expect_failure 1 mlake checkout data
expect_one_error_line
[ -z "$(ls -A "$TEST_ROOT/outside")" ] || fail "checkout wrote outside the project"
check "... and --force replaces the link by the folder, still writing nothing outside"
expect_success mlake checkout --force data
[ -z "$(ls -A "$TEST_ROOT/outside")" ] || fail "checkout wrote outside the project"
[ -d data ] && [ ! -L data ] || fail "data is not a folder again"
expect_same_tree data "$TEST_ROOT/v2/data"
rm -rf "$TEST_ROOT/data.aside"

check "a subfolder replaced by a link leading outside: checkout writes nothing there"
rm -r data/sub
ln -s "$TEST_ROOT/outside" data/sub
run_cmd mlake checkout data
[ "$RC" -ne 0 ] || fail "checkout through data/sub -> outside succeeded"
run_cmd mlake checkout --force data
[ -z "$(ls -A "$TEST_ROOT/outside")" ] || fail "checkout wrote outside the project"
rm data/sub
expect_success mlake checkout data
expect_same_tree data "$TEST_ROOT/v2/data"

check "a hostile mlake.lock cannot make checkout write outside the project"
cp mlake.lock "$TEST_ROOT/lock.good"
h=$(lock_value model.pt hash)
for evil in ../evil.txt /tmp/evil-$$.txt data/../../evil.txt; do
  printf 'version: 1\npaths:\n  %s:\n    artifact: model.pt\n    type: file\n    hash: %s\n' \
    "$evil" "$h" >mlake.lock
  expect_failure 2 mlake checkout
  expect_one_error_line
  expect_stderr_contains "line 3"
  expect_no_file "$TEST_ROOT/evil.txt"
  expect_no_file "$WORK/../evil.txt"
  expect_no_file "/tmp/evil-$$.txt"
done
ln -s "$TEST_ROOT/outside" escape
printf 'version: 1\npaths:\n  escape/evil.txt:\n    artifact: model.pt\n    type: file\n    hash: %s\n' \
  "$h" >mlake.lock
run_cmd mlake checkout --force
[ "$RC" -ne 0 ] || fail "checkout through escape -> outside succeeded"
[ -z "$(ls -A "$TEST_ROOT/outside")" ] || fail "checkout wrote outside the project"
rm escape

check "a malformed mlake.lock is refused with the line"
sed 's/^    hash: .*/    hash: not-a-hash/' "$TEST_ROOT/lock.good" >mlake.lock
expect_failure 2 mlake checkout
expect_one_error_line
expect_stderr_contains "'mlake.lock': line "
expect_failure 2 mlake status
expect_one_error_line
cp "$TEST_ROOT/lock.good" mlake.lock
expect_success mlake status --exit-code

# --- unknown artifacts and versions ------------------------------------------------------
snapshot_lake "$TEST_ROOT/snap3"
check "an unknown artifact exits 3"
expect_failure 3 mlake checkout no-such-artifact
expect_one_error_line
expect_stderr_contains "'no-such-artifact'"
expect_failure 3 mlake checkout no-such-artifact@1
expect_one_error_line
check "an unknown version exits 3"
expect_failure 3 mlake checkout data@3
expect_one_error_line
expect_stderr_contains "no version 3"
expect_failure 3 mlake checkout model.pt@0
expect_one_error_line
expect_failure 3 mlake checkout model.pt@deadbeefdeadbeef
expect_one_error_line
expect_failure 3 mlake checkout model.pt@nonsense
expect_one_error_line
check "a failed lookup among good refs writes nothing"
rm model.pt
expect_failure 3 mlake checkout model.pt data@7
expect_no_file model.pt
expect_lake_unchanged "$TEST_ROOT/snap3"
expect_success mlake checkout model.pt
expect_success mlake status --exit-code

# --- an older version of a folder ------------------------------------------------------
check "NAME@1 of a folder brings its old files back and removes the newer ones"
expect_success mlake checkout data@1
expect_stdout_contains "data  (data@1)"
expect_same_tree data "$TEST_ROOT/v1/data"
expect_no_file data/sub/added.txt
expect_no_file data/run.sh
expect_eq "$(lock_value data hash)" "$(lock_value data hash <(echo "$lock_v1"))" "data hash in mlake.lock"
expect_success mlake status --exit-code

check "checkout DATA@2 goes forward again"
expect_success mlake checkout data@2
expect_same_tree data "$TEST_ROOT/v2/data"
expect_eq "$(cat mlake.lock)" "$lock_v2" "mlake.lock"

check "with the v1 mlake.lock, checkout goes back to v1 for everything"
echo "$lock_v1" >mlake.lock
expect_success mlake checkout
expect_same_tree data "$TEST_ROOT/v1/data"
expect_same_file model.pt "$TEST_ROOT/v1/model.pt"
expect_success mlake status --exit-code
expect_success mlake fsck

check "content that mlake.lock records but the lake never stored is not replaced"
printf 'foreign content\n' >model.pt
foreign=$(sha256_of model.pt)
cp mlake.lock "$TEST_ROOT/lock-before-foreign"
"$PYTHON" - "$foreign" <<'EOF2'
import re, sys
text = open("mlake.lock").read()
text = re.sub(r"(model.pt:\n(?:    .*\n)*?    hash: )[0-9a-f]{64}", r"\g<1>" + sys.argv[1], text)
open("mlake.lock", "w").write(text)
EOF2
expect_failure 1 mlake checkout model.pt@1
expect_eq "$(cat model.pt)" "foreign content" "model.pt"
cp "$TEST_ROOT/lock-before-foreign" mlake.lock
expect_success mlake checkout --force model.pt
expect_success mlake status --exit-code

expect_hints_name_real_commands
pass
