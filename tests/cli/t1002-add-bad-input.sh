#!/bin/bash
# add refuses bad input with the right exit code and one error line, and
# leaves the lake exactly as it was.
. ./lib.sh

new_lake
mkdir -p data sub outside_dir
cp "$TESTDATA/iris.csv" data/iris.csv
echo tracked >sub/tracked.txt
echo good >good.txt
expect_success mlake add -m "setup" data sub/tracked.txt
snapshot_lake "$TEST_ROOT/snap"

mkdir -p "$TEST_ROOT/elsewhere"
echo secret >"$TEST_ROOT/elsewhere/secret.txt"

# refused CODE CMD...: the add fails with CODE, one error line (and maybe a
# hint), and the lake is unchanged.
refused() {
  expect_failure "$@"
  expect_one_error_line
  expect_lake_unchanged "$TEST_ROOT/snap"
}

check "a missing path exits 3"
refused 3 mlake add -m "x" no-such-file
expect_stderr_contains "'no-such-file'"

check "a missing path next to a good one records nothing"
refused 3 mlake add -m "x" good.txt no-such-file
expect_no_file "$(object_path "$(sha256_of good.txt)")"

check "no path at all exits 2"
refused 2 mlake add -m "x"

check "an absolute path outside the project exits 2"
refused 2 mlake add -m "x" "$TEST_ROOT/elsewhere/secret.txt"
expect_stderr_contains "outside the project"

check "a relative path outside the project exits 2"
refused 2 mlake add -m "x" ../../elsewhere/secret.txt
expect_stderr_contains "outside the project"

check "the project root exits 2"
refused 2 mlake add -m "x" .
expect_stderr_contains "project root"
refused 2 mlake add -m "x" "$WORK"
refused 2 mlake add -m "x" data/..
cd sub
refused 2 mlake add -m "x" ..
cd ..

check "a symbolic link leading outside the project exits 2"
ln -s "$TEST_ROOT/elsewhere/secret.txt" link-out.txt
refused 2 mlake add -m "x" link-out.txt
expect_stderr_contains "outside the project"
ln -s "$TEST_ROOT/elsewhere" link-out-dir
refused 2 mlake add -m "x" link-out-dir
expect_stderr_contains "outside the project"

check "a symbolic link inside a new folder leading outside exits 2"
mkdir newdir
echo fine >newdir/fine.txt
ln -s "$TEST_ROOT/elsewhere/secret.txt" newdir/sneaky.txt
refused 2 mlake add -m "x" newdir
expect_stderr_contains "newdir/sneaky.txt"
expect_stderr_contains "outside the project"
expect_no_file "$(object_path "$(sha256_of newdir/fine.txt)")"

check "a symbolic link inside a tracked folder leading outside exits 2"
ln -s "$TEST_ROOT/elsewhere/secret.txt" data/sneaky.csv
refused 2 mlake add -m "x" data
expect_stderr_contains "data/sneaky.csv"
rm data/sneaky.csv

check "a symbolic link in a folder leading to a folder outside exits 2"
ln -s "$TEST_ROOT/elsewhere" data/elsewhere
refused 2 mlake add -m "x" data
rm data/elsewhere

check "a dangling symbolic link in a folder exits 2"
ln -s no-such-target data/dangling
refused 2 mlake add -m "x" data
expect_stderr_contains "data/dangling"
rm data/dangling

check "a path through a symbolic link that leaves the project exits 2"
refused 2 mlake add -m "x" link-out-dir/secret.txt

check "a FIFO exits 2"
mkfifo pipe
refused 2 mlake add -m "x" pipe
mkdir fifodir
mkfifo fifodir/pipe
refused 2 mlake add -m "x" fifodir
expect_stderr_contains "fifodir/pipe"

check "paths inside .mlake exit 2"
refused 2 mlake add -m "x" .mlake
expect_stderr_contains ".mlake"
refused 2 mlake add -m "x" .mlake/config.yaml
refused 2 mlake add -m "x" .mlake/objects
cd .mlake
refused 2 mlake add -m "x" config.yaml
cd ..

check "a missing -m exits 2"
refused 2 mlake add good.txt
expect_stderr_contains "message"

check "an empty or blank message exits 2"
refused 2 mlake add -m "" good.txt
refused 2 mlake add -m "   " good.txt
expect_stderr_contains "message"

check "a bad --security exits 2"
refused 2 mlake add -m "x" --security top-secret good.txt
expect_stderr_contains "'top-secret'"

check "a bad --kind exits 2"
refused 2 mlake add -m "x" --kind spreadsheet good.txt
expect_stderr_contains "'spreadsheet'"

check "a bad --tag exits 2"
refused 2 mlake add -m "x" --tag "two words" good.txt
refused 2 mlake add -m "x" --tag "a,b" good.txt

check "--name with two paths exits 2"
refused 2 mlake add -m "x" --name both good.txt data
expect_stderr_contains "--name"

check "a bad --name exits 2"
refused 2 mlake add -m "x" --name=-dash good.txt
refused 2 mlake add -m "x" --name "at@" good.txt
refused 2 mlake add -m "x" --name "" good.txt

check "--name for a path tracked under another name exits 2"
refused 2 mlake add -m "x" --name other-name sub/tracked.txt
expect_stderr_contains "already tracked"

check "a file inside a tracked folder exits 2"
refused 2 mlake add -m "x" data/iris.csv
expect_stderr_contains "inside the tracked folder 'data'"
echo more >data/more.txt
refused 2 mlake add -m "x" data/more.txt
rm data/more.txt

check "a folder containing a tracked file exits 2"
refused 2 mlake add -m "x" sub
expect_stderr_contains "'sub/tracked.txt'"

check "a folder and a path inside it in one add exit 2"
mkdir -p pair/inner
echo p >pair/inner/p.txt
refused 2 mlake add -m "x" pair pair/inner/p.txt
refused 2 mlake add -m "x" pair/inner pair

check "an unknown option exits 2"
refused 2 mlake add -m "x" --frobnicate good.txt

check "after all that the lake is sound, and a good add still works"
expect_success mlake fsck
expect_success mlake status --exit-code
expect_success mlake add -m "good" good.txt
expect_stdout_contains "added    good.txt  @1"

expect_hints_name_real_commands
pass
