#!/bin/bash
# How checkout puts files into the workspace: copies by default (or
# reflinks), read-only hard links or symbolic links into .mlake/objects when
# the config asks for them.
. ./lib.sh

# make_project DIR MODE: a lake in DIR with `link: MODE`, holding a folder
# (two plain files and an executable) and a file, all recorded.
make_project() {
  mkdir -p "$1"
  cd "$1" || fail "no folder $1"
  new_lake
  if [ -n "$2" ]; then
    sed -i "s/^link: copy\$/link: $2/" .mlake/config.yaml
    grep -qx "link: $2" .mlake/config.yaml || fail "cannot set link: $2"
  fi
  mkdir -p data/sub
  cp "$TESTDATA/iris.csv" data/iris.csv
  random_file data/sub/blob.bin 100000 "blob-$2"
  cp "$TESTDATA/train.py" data/train.py
  chmod +x data/train.py
  random_file model.pt 7000 "model-$2"
  expect_success mlake add -m "recorded with link: $2" data model.pt
  rm -rf "$TEST_ROOT/orig-$2"
  mkdir -p "$TEST_ROOT/orig-$2"
  cp -a data model.pt "$TEST_ROOT/orig-$2/"
  rm -rf data model.pt
  expect_success mlake checkout
  expect_stdout_contains "4 file(s) written"
}

# --- copy (the default) ----------------------------------------------------------
check "copy: checkout writes independent, writable files"
make_project "$WORK/copy" ""
grep -qx "link: copy" .mlake/config.yaml || fail "the default link mode is not copy"
expect_same_tree data "$TEST_ROOT/orig-/data"
expect_same_file model.pt "$TEST_ROOT/orig-/model.pt"
for f in model.pt data/iris.csv data/sub/blob.bin; do
  obj=$(object_path "$(sha256_of "$f")")
  [ -f "$f" ] && [ ! -L "$f" ] || fail "$f is not a regular file"
  expect_ne "$(stat -c %i "$f")" "$(stat -c %i "$obj")" "inode of $f (vs its object)"
  expect_eq "$(stat -c %h "$obj")" 1 "link count of the object of $f"
  expect_eq "$(stat -c %a "$f")" 644 "mode of $f"
done
expect_eq "$(stat -c %a data/train.py)" 755 "mode of data/train.py"
expect_success mlake status --exit-code

check "copy: writing into a checked-out file in place does not change the object"
obj=$(object_path "$(sha256_of model.pt)")
"$PYTHON" - model.pt <<'EOF' || fail "cannot write model.pt in place"
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY)  # same inode, no truncation
os.pwrite(fd, b"CORRUPTED BY A PROGRAM", 100)
os.close(fd)
EOF
expect_same_file "$obj" "$TEST_ROOT/orig-/model.pt"
"$PYTHON" - data/sub/blob.bin <<'EOF' || fail "cannot append to data/sub/blob.bin"
open(__import__("sys").argv[1], "ab").write(b"appended")
EOF
expect_same_file "$(object_path "$(sha256_of "$TEST_ROOT/orig-/data/sub/blob.bin")")" \
  "$TEST_ROOT/orig-/data/sub/blob.bin"
expect_success mlake fsck
expect_stdout_contains "no faults"
expect_success mlake status
expect_stdout "modified  data/sub/blob.bin
modified  model.pt"
expect_success mlake checkout --force
expect_same_file model.pt "$TEST_ROOT/orig-/model.pt"
expect_same_tree data "$TEST_ROOT/orig-/data"
expect_success mlake status --exit-code

check "reflink: accepted, and gives independent files as copy does"
make_project "$WORK/reflink" reflink
expect_same_tree data "$TEST_ROOT/orig-reflink/data"
f=data/sub/blob.bin
expect_ne "$(stat -c %i "$f")" "$(stat -c %i "$(object_path "$(sha256_of "$f")")")" "inode of $f"
expect_eq "$(stat -c %a "$f")" 644 "mode of $f"
expect_success mlake status --exit-code

# --- hardlink ----------------------------------------------------------------------------
check "hardlink: checkout makes read-only hard links to the objects"
make_project "$WORK/hardlink" hardlink
expect_same_tree data "$TEST_ROOT/orig-hardlink/data"
expect_same_file model.pt "$TEST_ROOT/orig-hardlink/model.pt"
for f in model.pt data/iris.csv data/sub/blob.bin; do
  obj=$(object_path "$(sha256_of "$f")")
  [ -f "$f" ] && [ ! -L "$f" ] || fail "$f is not a regular file"
  expect_eq "$(stat -c %i "$f")" "$(stat -c %i "$obj")" "inode of $f (vs its object)"
  expect_eq "$(stat -c %a "$f")" 444 "mode of $f"
done

check "hardlink: an executable file is a copy with its exec bit"
[ -x data/train.py ] || fail "data/train.py is not executable"
expect_ne "$(stat -c %i data/train.py)" \
  "$(stat -c %i "$(object_path "$(sha256_of data/train.py)")")" "inode of data/train.py"

check "hardlink: status is clean, fsck too, and adding again records nothing"
expect_success mlake status --exit-code
expect_success mlake fsck
expect_success mlake add -m "again" data model.pt
expect_stdout_contains "nothing new to record"
expect_success mlake status --exit-code

check "hardlink: checkout of another version replaces the link, not the object"
old_obj=$(object_path "$(sha256_of model.pt)")
rm model.pt
random_file model.pt 7100 model-hardlink-2
expect_success mlake add -m "model v2" model.pt
expect_success mlake checkout model.pt@1
expect_same_file model.pt "$TEST_ROOT/orig-hardlink/model.pt"
expect_eq "$(stat -c %i model.pt)" "$(stat -c %i "$old_obj")" "inode of model.pt"
expect_success mlake checkout model.pt@2
expect_same_file "$old_obj" "$TEST_ROOT/orig-hardlink/model.pt"
expect_success mlake fsck
expect_success mlake status --exit-code

# --- symlink -------------------------------------------------------------------------------
check "symlink: checkout makes symbolic links into .mlake/objects"
make_project "$WORK/symlink" symlink
expect_same_file model.pt "$TEST_ROOT/orig-symlink/model.pt"
# An executable file cannot be a link to the read-only object: it is a copy.
[ ! -L data/train.py ] && [ -x data/train.py ] || fail "data/train.py is not an executable copy"
for f in model.pt data/iris.csv data/sub/blob.bin; do
  [ -L "$f" ] || fail "$f is not a symbolic link"
  want=$(realpath "$(object_path "$(sha256_of "$f")")")
  expect_eq "$(realpath "$f")" "$want" "target of $f"
  case $(readlink "$f") in
  ../*.mlake/objects/* | .mlake/objects/*) ;;
  *) fail "$f links to $(readlink "$f"), not into .mlake/objects" ;;
  esac
  cmp -s "$f" "$TEST_ROOT/orig-symlink/$f" || fail "$f has other content"
done

check "symlink: fsck is clean and adding again records nothing"
expect_success mlake fsck
expect_success mlake add -m "again" model.pt
expect_stdout_contains "nothing new to record"

check "symlink: checkout from a subfolder makes links that work"
rm model.pt
mkdir -p deep/er
cd deep/er
expect_success mlake checkout model.pt
cd "$WORK/symlink"
cmp -s model.pt "$TEST_ROOT/orig-symlink/model.pt" || fail "model.pt has other content"

check "symlink: an executable file stays executable and status is clean"
[ -x data/train.py ] || fail "data/train.py is not executable after checkout"
expect_success mlake status --exit-code

pass
