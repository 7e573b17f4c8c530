#!/bin/bash
# remote add, list and remove: URLs as a user writes them (paths, file://,
# s3://), the default remote, S3 options only for S3 remotes, URLs with
# credentials and unknown schemes refused; and no secret ever lands in the
# lake, its config or the output, also after S3 operations.
. ./lib.sh
use_s3

new_lake
snapshot_lake "$TEST_ROOT/snap-empty"

# refused SNAPSHOT CODE CMD...: the command fails with CODE and one error line, and
# the lake (config.yaml included) is as it was.
refused() {
  local snap=$1
  shift
  expect_failure "$@"
  expect_one_error_line
  expect_lake_unchanged "$snap"
}

check "a new lake has no remote"
expect_success mlake remote list
expect_stdout_empty
expect_success mlake remote
expect_stdout_empty
expect_success mlake --json remote list
expect_json 'd' '[]'

check "remote add of a relative path stores it absolute, and the first remote is the default"
expect_success mlake remote add origin ../shared/lake
expect_stdout "added remote origin $TEST_ROOT/shared/lake (default)"
expect_success mlake remote list
expect_stdout "origin	$TEST_ROOT/shared/lake	(default)"
expect_success mlake --json remote list
expect_json 'd' "[{\"default\":true,\"name\":\"origin\",\"url\":\"$TEST_ROOT/shared/lake\"}]"
grep -qF "$TEST_ROOT/shared/lake" .mlake/config.yaml || fail "config.yaml does not name the remote's folder"

check "a file:// URL is a folder; a second remote is not the default"
expect_success mlake --json remote add backup "file://$TEST_ROOT/backup/"
expect_json 'd' "{\"default\":false,\"name\":\"backup\",\"url\":\"$TEST_ROOT/backup\"}"

check "an s3:// remote with --default becomes the default, options and all"
expect_success mlake remote add --default --endpoint "$MLAKE_TEST_S3_ENDPOINT" \
  --region eu-west-3 --path-style true --part-size 5242880 \
  cloud "$(s3_url cloud)/"
expect_stdout "added remote cloud $(s3_url cloud) (default)"
expect_success mlake --json remote list
expect_json '[r["name"] for r in d]' '["origin","backup","cloud"]'
expect_json '[r["name"] for r in d if r["default"]]' '["cloud"]'
expect_json 'd[2]' "{\"default\":true,\"endpoint\":\"$MLAKE_TEST_S3_ENDPOINT\",\"name\":\"cloud\",\"part_size\":5242880,\"path_style\":true,\"region\":\"eu-west-3\",\"url\":\"$(s3_url cloud)\"}"
expect_json 'd[0]' "{\"default\":false,\"name\":\"origin\",\"url\":\"$TEST_ROOT/shared/lake\"}"
expect_success mlake remote list
expect_stdout "origin	$TEST_ROOT/shared/lake
backup	$TEST_ROOT/backup
cloud	$(s3_url cloud)	(default)"

check "the S3 options are kept in config.yaml under the remote"
for want in "$MLAKE_TEST_S3_ENDPOINT" eu-west-3 5242880 "$(s3_url cloud)"; do
  grep -qF -- "$want" .mlake/config.yaml || fail "config.yaml lacks '$want':"$'\n'"$(cat .mlake/config.yaml)"
done
snapshot_lake "$TEST_ROOT/snap-3"

check "S3 options are refused for a folder remote (exit 2), and nothing is added"
refused "$TEST_ROOT/snap-3" 2 mlake remote add local2 ../other --endpoint "$MLAKE_TEST_S3_ENDPOINT"
expect_stderr_contains "s3://"
refused "$TEST_ROOT/snap-3" 2 mlake remote add local2 ../other --region us-east-1
refused "$TEST_ROOT/snap-3" 2 mlake remote add local2 ../other --path-style false
refused "$TEST_ROOT/snap-3" 2 mlake remote add local2 "file://$TEST_ROOT/other" --part-size 5242880

check "bad S3 options are refused (exit 2)"
refused "$TEST_ROOT/snap-3" 2 mlake remote add s3b "$(s3_url s3b)" --part-size 1048576
expect_stderr_contains "5 MiB"
refused "$TEST_ROOT/snap-3" 2 mlake remote add s3b "$(s3_url s3b)" --endpoint ftp://127.0.0.1:21
expect_stderr_contains "'ftp://127.0.0.1:21'"
refused "$TEST_ROOT/snap-3" 2 mlake remote add s3b "$(s3_url s3b)" --path-style maybe

check "unknown schemes are refused with exit 12, naming the scheme"
for url in http://example.org/lake https://example.org/lake ftp://example.org/lake \
  gs://bucket/lake; do
  refused "$TEST_ROOT/snap-3" 12 mlake remote add web "$url"
  expect_stderr_contains "unknown scheme '${url%%://*}'"
done

check "malformed URLs are refused with exit 2"
refused "$TEST_ROOT/snap-3" 2 mlake remote add bad "file://relative/path"
refused "$TEST_ROOT/snap-3" 2 mlake remote add bad "s3://Not_A_Bucket/x"
expect_stderr_contains "'Not_A_Bucket'"
refused "$TEST_ROOT/snap-3" 2 mlake remote add bad "s3://mlake-test/a/../b"
refused "$TEST_ROOT/snap-3" 2 mlake remote add bad ""

# A secret a user might paste into a URL: never stored, never echoed.
pasted=pasted-secret-$RANDOM$RANDOM
check "a URL with credentials is refused (exit 2) without echoing them"
refused "$TEST_ROOT/snap-3" 2 mlake remote add leak "s3://AKIAEXAMPLE:$pasted@mlake-test/x"
expect_stderr_contains "credentials"
expect_stderr_not_contains "$pasted"
refused "$TEST_ROOT/snap-3" 2 mlake remote add leak "$(s3_url leak)" --endpoint "http://AKIAEXAMPLE:$pasted@127.0.0.1:9000"
expect_stderr_contains "credentials"
expect_stderr_not_contains "$pasted"
refused "$TEST_ROOT/snap-3" 2 mlake remote add leak "https://user:$pasted@example.org/lake"
expect_stderr_not_contains "$pasted"
refused "$TEST_ROOT/snap-3" 2 mlake remote add leak "file://user:$pasted@host/lake"
expect_stderr_not_contains "$pasted"
grep -rqF -- "$pasted" .mlake && fail "the pasted secret is somewhere under .mlake"

check "names: a duplicate or a bad name is refused (exit 2)"
refused "$TEST_ROOT/snap-3" 2 mlake remote add origin ../elsewhere
expect_stderr_contains "'origin'"
refused "$TEST_ROOT/snap-3" 2 mlake remote add "a/b" ../elsewhere
refused "$TEST_ROOT/snap-3" 2 mlake remote add "two words" ../elsewhere
refused "$TEST_ROOT/snap-3" 2 mlake remote add "" ../elsewhere

check "wrong operands are refused (exit 2)"
refused "$TEST_ROOT/snap-3" 2 mlake remote add only-a-name
refused "$TEST_ROOT/snap-3" 2 mlake remote add a ../b extra
refused "$TEST_ROOT/snap-3" 2 mlake remote remove
refused "$TEST_ROOT/snap-3" 2 mlake remote list extra
refused "$TEST_ROOT/snap-3" 2 mlake remote rename origin other

check "remote remove of an unknown name exits 3"
refused "$TEST_ROOT/snap-3" 3 mlake remote remove nosuch
expect_stderr_contains "'nosuch'"

# The remotes are in use from here on: push some content to them.
echo "some data" >data.txt
mkdir -p models
random_file models/m.bin 4096 m
expect_success mlake add -m "v1" data.txt models

mkdir -p "$TEST_ROOT/shared" # a folder remote is made on first push, not its parents
check "push to a named folder remote and to the default (S3) remote"
expect_success mlake --json push origin
expect_json '[d["remote"], d["nodes"], d["objects"]]' '["origin",1,3]'
expect_success mlake --json push
expect_json '[d["remote"], d["location"], d["nodes"], d["objects"]]' "[\"cloud\",\"$(s3_url cloud)\",1,3]"

check "the S3 remote's endpoint comes from its config, not only from AWS_ENDPOINT_URL"
expect_success env -u AWS_ENDPOINT_URL "$MLAKE" --json push cloud
expect_json '[d["nodes"], d["objects"], d["objects_present"]]' '[0,0,3]'

check "remote remove: the default one goes, and nothing on it is deleted"
expect_success mlake remote remove cloud
expect_stdout "removed remote cloud (nothing on it was deleted)"
expect_success mlake --json remote list
expect_json '[(r["name"], r["default"]) for r in d]' '[["origin",false],["backup",false]]'
grep -qF "$(s3_url cloud)" .mlake/config.yaml && fail "config.yaml still names the removed remote"
expect_success mlake clone "$(s3_url cloud)" "$TEST_ROOT/from-cloud"
expect_same_file data.txt "$TEST_ROOT/from-cloud/data.txt"

check "with several remotes and no default, a push must name one (exit 2)"
snapshot_lake "$TEST_ROOT/snap-2"
refused "$TEST_ROOT/snap-2" 2 mlake push
expect_stderr_contains "several remotes"
refused "$TEST_ROOT/snap-2" 2 mlake pull
refused "$TEST_ROOT/snap-2" 2 mlake fetch

check "remote remove --json, then the folder remote's content is still there"
expect_success mlake --json remote remove origin
expect_json 'd' '{"removed":"origin"}'
expect_success mlake remote list
expect_stdout "backup	$TEST_ROOT/backup"
expect_store_sound "$TEST_ROOT/shared/lake"
expect_eq "$STORE_NODES" 1 "nodes left on the removed remote"
expect_eq "$STORE_OBJECTS" 3 "objects left on the removed remote"

check "a lone remote is used without being named, even when not the default"
expect_success mlake --json push
expect_json '[d["remote"], d["objects"]]' '["backup",3]'

check "a lake with no remote: push, pull and fetch exit 2 with a hint"
expect_success mlake remote remove backup
expect_success mlake --json remote list
expect_json 'd' '[]'
snapshot_lake "$TEST_ROOT/snap-0"
refused "$TEST_ROOT/snap-0" 2 mlake push
expect_stderr_contains "no remote"
expect_stderr_contains "mlake remote add"
refused "$TEST_ROOT/snap-0" 2 mlake pull
refused "$TEST_ROOT/snap-0" 2 mlake fetch

# Credentials live in the environment (or ~/.aws): never in config.yaml,
# nodes, the index, output or errors, whatever S3 operations ran.
secret=s3-secret-$RANDOM$RANDOM$RANDOM
token=s3-token-$RANDOM$RANDOM$RANDOM
export AWS_SECRET_ACCESS_KEY=$secret AWS_SESSION_TOKEN=$token
: >"$TEST_ROOT/all-output"
keep_output() { cat "$OUT" "$ERR" >>"$TEST_ROOT/all-output"; }

check "S3 work with a distinctive secret and session token"
expect_success mlake remote add vault "$(s3_url vault)" --endpoint "$MLAKE_TEST_S3_ENDPOINT"
keep_output
echo "more" >>data.txt
expect_success mlake add -m "v2" data.txt
keep_output
expect_success mlake push vault
keep_output
expect_success mlake --json push vault
keep_output
expect_success mlake fetch vault
keep_output
expect_success mlake --json pull vault
keep_output
expect_success mlake --json remote list
keep_output
expect_success mlake remote list
keep_output
expect_success mlake log
keep_output
expect_success mlake fsck
keep_output
expect_success mlake clone "$(s3_url vault)" "$TEST_ROOT/vault-clone"
keep_output
expect_success mlake remote add nobucket s3://mlake-test-no-such-bucket/x
keep_output
expect_failure 12 mlake push nobucket
keep_output
expect_failure 12 env AWS_ACCESS_KEY_ID=WRONGKEY "$MLAKE" push vault
keep_output
expect_stderr_contains "access denied"

check "no secret in .mlake, in the clone's .mlake, or in any output"
grep -rlF -- "$secret" .mlake "$TEST_ROOT/vault-clone/.mlake" >"$TEST_ROOT/hits" &&
  fail "the secret key is in: $(cat "$TEST_ROOT/hits")"
grep -rlF -- "$token" .mlake "$TEST_ROOT/vault-clone/.mlake" >"$TEST_ROOT/hits" &&
  fail "the session token is in: $(cat "$TEST_ROOT/hits")"
grep -qF -- "$secret" "$TEST_ROOT/all-output" && fail "an output shows the secret key"
grep -qF -- "$token" "$TEST_ROOT/all-output" && fail "an output shows the session token"
grep -qiE 'secret|token|access.?key' .mlake/config.yaml &&
  fail "config.yaml has a credentials field:"$'\n'"$(cat .mlake/config.yaml)"
[ -s "$TEST_ROOT/all-output" ] || fail "no output was kept: the check above proves nothing"

expect_hints_name_real_commands
pass
