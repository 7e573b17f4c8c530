#!/bin/bash
# push, pull, fetch and clone refuse what they cannot do (an unknown remote,
# an unreachable endpoint, a bucket that does not exist, no or wrong
# credentials, a folder that is not a remote, a clone target in use) with
# the right exit code and one clear line, leaving the lake, the workspace
# and the remote as they were.
. ./lib.sh
use_s3

new_lake
mkdir -p data
echo "a,b" >data/rows.csv
echo "weights" >model.bin
expect_success mlake add -m "v1" data model.bin
mkdir -p "$TEST_ROOT/remotes"
good=$TEST_ROOT/remotes/good
expect_success mlake remote add origin "$good"
expect_success mlake push
echo "local change" >>model.bin # a modified file no failed pull may touch
snapshot_lake "$TEST_ROOT/snap"

# Every path in the workspace with its type, mode and hash (with shell tools:
# python3 is slow to start, and this runs after each of many commands).
workspace() {
  (
    builtin cd "$WORK" &&
      find . -path ./.mlake -prune -o -printf '%y %m %p\n' | sort &&
      find . -path ./.mlake -prune -o -type f -print0 | sort -z | xargs -0r sha256sum
  ) || fail "cannot list the workspace"
}
workspace >"$TEST_ROOT/workspace"

# refused CODE CMD...: the command fails with CODE and one error line (and
# maybe a hint); the lake and the workspace are exactly as they were.
refused() {
  expect_failure "$@"
  expect_one_error_line
  expect_lake_unchanged "$TEST_ROOT/snap"
  workspace >"$TEST_ROOT/workspace-now"
  cmp -s "$TEST_ROOT/workspace" "$TEST_ROOT/workspace-now" ||
    fail "the workspace changed:"$'\n'"$(diff "$TEST_ROOT/workspace" "$TEST_ROOT/workspace-now")"
}

# add_remote NAME URL [OPTIONS...]: add a remote, then take a new snapshot
# (config.yaml names it from now on).
add_remote() {
  expect_success mlake remote add "$@"
  snapshot_lake "$TEST_ROOT/snap"
}

check "an unknown remote name exits 3 and names it"
refused 3 mlake fetch nosuch
expect_stderr_contains "no remote named 'nosuch'"
# push and pull read a first operand that is no remote as a version to
# transfer (as git reads 'git push origin main'): still exit 3, naming it.
refused 3 mlake push nosuch
expect_stderr_contains "'nosuch'"
refused 3 mlake pull nosuch
expect_stderr_contains "'nosuch'"
expect_stderr_contains "remote"
refused 3 mlake pull nosuch data
refused 3 mlake remote remove nosuch

check "-j out of range exits 2"
refused 2 mlake push -j 0
refused 2 mlake pull -j 0 origin
refused 2 mlake push -j 100000 origin

check "pull --metadata-only with versions named exits 2"
refused 2 mlake pull --metadata-only origin data

check "an unreachable endpoint exits 12 and says so, for every command"
add_remote unreachable "$(s3_url unreachable)" --endpoint http://127.0.0.1:1
for cmd in push pull fetch; do
  refused 12 mlake "$cmd" unreachable
  expect_stderr_contains "cannot reach http://127.0.0.1:1"
done
refused 12 env AWS_ENDPOINT_URL=http://127.0.0.1:1 "$MLAKE" clone "$(s3_url c1)" "$TEST_ROOT/c1"
expect_stderr_contains "127.0.0.1:1"
expect_no_file "$TEST_ROOT/c1"

check "a bucket that does not exist exits 12 and names it"
add_remote nobucket s3://mlake-no-such-bucket/lake
for cmd in push pull fetch; do
  refused 12 mlake "$cmd" nobucket
  expect_stderr_contains "bucket 'mlake-no-such-bucket' does not exist"
done
refused 12 mlake clone s3://mlake-no-such-bucket/lake "$TEST_ROOT/c2"
expect_stderr_contains "'mlake-no-such-bucket'"
expect_no_file "$TEST_ROOT/c2"

check "no credentials (no AWS variables, no ~/.aws) exits 12 and says so"
add_remote cloud "$(s3_url cloud)"
[ ! -e "$HOME/.aws" ] || fail "the test's HOME has a .aws folder"
for cmd in push pull fetch; do
  refused 12 env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "$MLAKE" "$cmd" cloud
  expect_stderr_contains "no S3 credentials"
done
refused 12 env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "$MLAKE" clone "$(s3_url cloud)" "$TEST_ROOT/c3"
expect_stderr_contains "no S3 credentials"
expect_no_file "$TEST_ROOT/c3"

check "wrong credentials exit 12: access denied, and the secret is not shown"
wrong_secret=wrong-secret-$RANDOM$RANDOM
for cmd in push pull fetch; do
  refused 12 env AWS_ACCESS_KEY_ID=NOSUCHKEY AWS_SECRET_ACCESS_KEY="$wrong_secret" "$MLAKE" "$cmd" cloud
  expect_stderr_contains "access denied"
  expect_stderr_not_contains "$wrong_secret"
done

check "credentials from ~/.aws/credentials, profile AWS_PROFILE, work"
mkdir -p "$HOME/.aws"
printf '[default]\naws_access_key_id = NOSUCHKEY\naws_secret_access_key = nope\n\n[test]\naws_access_key_id = S3RVER\naws_secret_access_key = S3RVER\n' >"$HOME/.aws/credentials"
expect_success env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY AWS_PROFILE=test "$MLAKE" --json push cloud
expect_json '[d["nodes"], d["objects"]]' '[1,3]'
refused 12 env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "$MLAKE" fetch cloud
expect_stderr_contains "access denied"
refused 12 env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY AWS_PROFILE=nosuch "$MLAKE" fetch cloud
expect_stderr_contains "'nosuch'"
rm -rf "$HOME/.aws"

check "a folder remote that does not exist: pull and fetch exit 12"
add_remote missing "$TEST_ROOT/remotes/missing"
refused 12 mlake pull missing
expect_stderr_contains "does not exist"
refused 12 mlake fetch missing
expect_no_file "$TEST_ROOT/remotes/missing"

check "a folder remote whose parent does not exist: push exits 12, makes nothing"
add_remote deep "$TEST_ROOT/remotes/no/such/place"
refused 12 mlake push deep
expect_no_file "$TEST_ROOT/remotes/no"

check "a non-empty folder that is not a remote: push and pull exit 12, it is untouched"
mkdir -p "$TEST_ROOT/photos/2024"
echo "jpeg" >"$TEST_ROOT/photos/2024/cat.jpg"
echo "list" >"$TEST_ROOT/photos/index.txt"
tree_listing "$TEST_ROOT/photos" >"$TEST_ROOT/photos-before"
add_remote photos "$TEST_ROOT/photos"
refused 12 mlake push photos
expect_stderr_contains "not an mlake remote"
refused 12 mlake pull photos
refused 12 mlake fetch photos
tree_listing "$TEST_ROOT/photos" >"$TEST_ROOT/photos-after"
cmp -s "$TEST_ROOT/photos-before" "$TEST_ROOT/photos-after" || fail "the folder changed"
expect_eq "$(find "$TEST_ROOT/photos" | wc -l)" 4 "entries in the folder"

check "a file, not a folder, as a remote: push and pull exit 12"
echo "just a file" >"$TEST_ROOT/a-file"
add_remote afile "$TEST_ROOT/a-file"
refused 12 mlake push afile
refused 12 mlake pull afile
expect_eq "$(cat "$TEST_ROOT/a-file")" "just a file" "the file's content"

check "clone into a non-empty folder exits 2 and leaves it as it was"
mkdir -p "$TEST_ROOT/busy"
echo "mine" >"$TEST_ROOT/busy/keep.txt"
refused 2 mlake clone "$good" "$TEST_ROOT/busy"
expect_stderr_contains "not an empty folder"
expect_eq "$(ls -A "$TEST_ROOT/busy")" "keep.txt" "the folder's content"
echo "not a folder" >"$TEST_ROOT/busy-file"
refused 2 mlake clone "$good" "$TEST_ROOT/busy-file"
expect_eq "$(cat "$TEST_ROOT/busy-file")" "not a folder" "the file's content"

check "clone of a remote that does not exist exits 12 and leaves no folder"
cd "$TEST_ROOT"
refused 12 mlake clone "$TEST_ROOT/remotes/missing" c4
expect_no_file "$TEST_ROOT/c4"
refused 12 mlake clone "$TEST_ROOT/remotes/missing"
expect_no_file "$TEST_ROOT/missing"
refused 12 mlake clone "$TEST_ROOT/photos" c5
expect_no_file "$TEST_ROOT/c5"
mkdir "$TEST_ROOT/empty"
refused 12 mlake clone "$TEST_ROOT/remotes/missing" empty
[ -d "$TEST_ROOT/empty" ] || fail "clone removed the empty folder it was given"
expect_eq "$(ls -A "$TEST_ROOT/empty")" "" "the empty folder's content"

check "clone of a URL of an unknown scheme exits 12 and leaves no folder"
refused 12 mlake clone http://example.org/lake c6
expect_no_file "$TEST_ROOT/c6"
expect_no_file "$TEST_ROOT/lake"
refused 2 mlake clone "$good" c7 --origin "bad name"
expect_no_file "$TEST_ROOT/c7"
cd "$WORK"

check "after all that, the remote is sound and the good remote still works"
expect_store_sound "$good"
expect_eq "$STORE_NODES" 1 "nodes on the good remote"
expect_success mlake --json fetch origin
expect_json 'd["nodes"]' 0
expect_success mlake fsck
expect_stdout_contains "no faults"

expect_hints_name_real_commands
pass
