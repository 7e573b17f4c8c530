#!/bin/bash
# mlake.lock is the bridge to git: check out an old commit's mlake.lock, run
# mlake checkout, and that commit's data comes back byte for byte.
. ./lib.sh

cat >"$HOME/.gitconfig" <<'EOF'
[user]
	name = Git Person
	email = git.person@example.org
[init]
	defaultBranch = main
[advice]
	detachedHead = false
EOF

git init -q proj
cd proj
new_lake
mkdir -p data/raw
cp "$TESTDATA/iris.csv" data/raw/iris.csv
printf 'notes v1\n' >data/notes.txt
random_file data/raw/blob.bin 200000 blob-v1
random_file model.pt 5000 model-v1
cp "$TESTDATA/train.py" train.py

check "add inside a git work tree"
expect_success mlake add -m "v1 data and model" data model.pt
mkdir -p "$TEST_ROOT/v1"
cp -a data model.pt "$TEST_ROOT/v1/"

check ".gitignore gained /.mlake/ and the tracked paths"
expect_file .gitignore
for line in /.mlake/ /data /model.pt; do
  grep -qxF -- "$line" .gitignore || fail ".gitignore has no line '$line'"
done

check "git sees mlake.lock and .gitignore, not the data nor the lake"
git status --porcelain --untracked-files=all >"$TEST_ROOT/git-status"
expect_eq "$(cat "$TEST_ROOT/git-status")" "?? .gitignore
?? mlake.lock
?? train.py" "git status"

git add .gitignore mlake.lock train.py
git commit -q -m "v1" || fail "git commit v1 failed"
commit1=$(git rev-parse HEAD)

check "a second add changes the data, and .gitignore gets no duplicates"
printf 'notes v2\n' >data/notes.txt
printf 'sepal_length,species\n5.0,setosa\n' >data/raw/extra.csv
random_file data/raw/blob.bin 200000 blob-v2
random_file model.pt 5200 model-v2
expect_success mlake add -m "v2 data and model" data model.pt
mkdir -p "$TEST_ROOT/v2"
cp -a data model.pt "$TEST_ROOT/v2/"
for line in /.mlake/ /data /model.pt; do
  expect_eq "$(grep -cxF -- "$line" .gitignore)" 1 "number of '$line' lines in .gitignore"
done
git status --porcelain >"$TEST_ROOT/git-status"
expect_eq "$(cat "$TEST_ROOT/git-status")" " M mlake.lock" "git status"
git commit -q -am "v2" || fail "git commit v2 failed"

check "a later add of a new path appends only that path to .gitignore"
before=$(cat .gitignore)
echo "eval" >metrics.txt
expect_success mlake add -m "metrics" metrics.txt
expect_eq "$(cat .gitignore)" "$before"$'\n'"/metrics.txt" ".gitignore"
git add .gitignore mlake.lock
git commit -q -m "metrics" || fail "git commit metrics failed"

# --- back and forth ------------------------------------------------------------------
check "git checkout HEAD~2 -- mlake.lock, then mlake checkout restores v1 byte for byte"
git checkout -q HEAD~2 -- mlake.lock
expect_success mlake checkout
expect_same_tree data "$TEST_ROOT/v1/data"
expect_same_file model.pt "$TEST_ROOT/v1/model.pt"
expect_success mlake status --exit-code

check "git checkout HEAD -- mlake.lock, then mlake checkout brings v2 back"
git checkout -q HEAD -- mlake.lock
expect_success mlake checkout
expect_same_tree data "$TEST_ROOT/v2/data"
expect_same_file model.pt "$TEST_ROOT/v2/model.pt"
expect_success mlake status --exit-code

check "checking out the first commit itself, then mlake checkout"
git checkout -q "$commit1"
expect_success mlake checkout
expect_same_tree data "$TEST_ROOT/v1/data"
expect_same_file model.pt "$TEST_ROOT/v1/model.pt"
expect_success mlake status --exit-code
check "mlake checkout leaves the git work tree clean"
# metrics.txt is tracked only by a later mlake.lock, and is not ignored by
# this commit's .gitignore: like an untracked file in git, it stays.
expect_eq "$(git status --porcelain)" "?? metrics.txt" "git status"

check "back on main, mlake checkout brings v2 back"
git checkout -q main
expect_success mlake checkout
expect_same_tree data "$TEST_ROOT/v2/data"
expect_same_file model.pt "$TEST_ROOT/v2/model.pt"
expect_success mlake status --exit-code
expect_eq "$(git status --porcelain)" "" "git status"

check "the lake is sound after the round trip"
expect_success mlake fsck

pass
