# shellcheck shell=bash
# The body of t4002 (a folder remote) and t4003 (an S3 remote): the same
# push, clone, pull and fetch walk-through, as two people sharing a lake.
# Sourced before lib.sh (which leaves this folder); the test defines
#   remote_url NAME      a fresh, unused remote URL of its kind
#   REMOTE_KIND          dir or s3
#   REMOTE_ADD_OPTS      an array of extra `remote add` options

# listing DIR FILE: every file under DIR with its hash, in FILE; two
# listings tell whether an operation changed a workspace.
listing() {
  tree_listing "$1" >"$2" || fail "cannot list $1"
}

# The log of the lake in folder $1, as a user reads it.
log_of() {
  (builtin cd "$1" && "$MLAKE" log)
}

# expect_same_log DIR1 DIR2: the two lakes show the same history.
expect_same_log() {
  local a b
  a=$(log_of "$1") || fail "mlake log fails in $1"
  b=$(log_of "$2") || fail "mlake log fails in $2"
  [ -n "$a" ] || fail "the log of $1 is empty"
  [ "$a" = "$b" ] ||
    fail "the logs of $1 and $2 differ:"$'\n'"$(diff <(echo "$a") <(echo "$b") | head -30)"
}

# fsck --json in the current lake: sound, and NOT_DOWNLOADED objects (a
# number, or "+" for at least one) named by the history but not here.
expect_fsck_clean() {
  local not_downloaded=${1:-0}
  expect_success mlake --json fsck
  expect_json 'd["ok"]' true
  expect_json 'd["faults"]' '[]'
  if [ "$not_downloaded" = + ]; then
    expect_json 'd["not_downloaded"] > 0' true
  else
    expect_json 'd["not_downloaded"]' "$not_downloaded"
  fi
}

# expect_received BEFORE NEW [TREES]: the last pull or clone, run in a lake
# that held BEFORE objects, brought NEW objects into it; its JSON counts
# them, but for up to TREES folder lists (trees), which may come with the
# history and not be counted as content.
expect_received() {
  local before=$1 new=$2 trees=${3:-0}
  expect_eq "$(count_files .mlake/objects)" $((before + new)) "objects in the lake"
  expect_json "$new - $trees <= d['objects'] <= $new" true
}

push_pull_roundtrip() {
  local url alice=$WORK/alice bob=$WORK/bob carol=$WORK/carol
  local n_objects big_hash parts before new more_hash metrics_hash
  url=$(remote_url shared)

  check "alice makes a lake: 300 small files, a 12 MB model, a script"
  mkdir -p "$alice"
  cd "$alice"
  new_lake
  "$PYTHON" - <<'EOF' || fail "cannot make the test data"
import os, random
rng = random.Random(4002)
for i in range(300):
    d = "data/part-%02d" % (i // 30)
    os.makedirs(d, exist_ok=True)
    with open("%s/row-%03d.csv" % (d, i), "wb") as f:
        f.write(("%d," % i).encode() + rng.randbytes(rng.randrange(0, 2000)))
open("data/part-00/empty.csv", "wb").close()
with open("data/notes é and spaces.txt", "w", encoding="utf-8") as f:
    f.write("naïve notes\n")
EOF
  # (distinct in each run: t4003 finds its parts in the S3 server's log)
  random_file model.bin $((12 * 1000 * 1000)) "model-$TEST_NAME-$$-$RANDOM"
  printf '#!/bin/sh\necho train\n' >train.sh
  chmod +x train.sh
  expect_success mlake add -m "first import" data model.bin train.sh
  expect_eq "$(find data -type f | wc -l)" 302 "files in data"
  n_objects=$(count_files .mlake/objects)
  big_hash=$(sha256_of model.bin)

  check "push to a new $REMOTE_KIND remote sends every object and the node"
  expect_success mlake remote add "${REMOTE_ADD_OPTS[@]}" origin "$url"
  expect_success mlake --json push
  expect_json '[d["remote"], d["nodes"], d["objects"], d["objects_present"]]' "[\"origin\",1,$n_objects,0]"
  expect_json 'd["bytes"]' "$(find .mlake/objects -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')"

  if [ "$REMOTE_KIND" = dir ]; then
    check "the folder remote holds each object and node under its hash"
    expect_store_sound "$url"
    expect_eq "$STORE_OBJECTS" "$n_objects" "objects on the remote"
    expect_eq "$STORE_NODES" 1 "nodes on the remote"
  else
    check "the 12 MB model went up in parts of 5 MiB (multipart upload)"
    [ -f "$S3RVER_DIR/log" ] || fail "no s3rver log at '$S3RVER_DIR/log'"
    parts=$(grep -c "${big_hash:2}?partNumber=" "$S3RVER_DIR/log")
    [ "$parts" -eq 3 ] || fail "s3rver stored $parts part(s) of the model, expected 3"
  fi

  check "a second push sends nothing"
  expect_success mlake --json push
  expect_json '[d["nodes"], d["objects"], d["bytes"], d["objects_present"]]' "[0,0,0,$n_objects]"

  check "bob clones: the same files, mlake.lock, log; fsck and status clean"
  cd "$WORK"
  expect_success mlake --json clone "$url" bob
  expect_json '[d["root"], d["nodes"], d["kept"]]' "[\"$bob\",1,[]]"
  cd "$bob"
  expect_received 0 "$n_objects" 1
  cd "$WORK"
  expect_same_tree "$alice" "$bob"
  expect_same_file "$alice/mlake.lock" "$bob/mlake.lock"
  expect_same_file "$alice/model.bin" "$bob/model.bin"
  [ -x "$bob/train.sh" ] || fail "train.sh lost its exec bit in the clone"
  expect_same_log "$alice" "$bob"
  cd "$bob"
  expect_fsck_clean 0
  expect_success mlake status --exit-code
  expect_success mlake --json remote list
  expect_json 'd' "[{\"default\":true,\"name\":\"origin\",\"url\":\"$url\"}]"

  check "bob records a second version and pushes only what is new"
  random_file model.bin 3000000 "model-v2-$TEST_NAME"
  echo "new rows" >data/part-03/new.csv
  echo "changed" >data/part-00/row-001.csv
  rm data/part-09/row-299.csv
  expect_success mlake add -m "bob: retrain" model.bin data
  expect_success mlake --json push
  # a new model, a new and a changed file, and the new tree of data
  expect_json '[d["nodes"], d["objects"]]' '[1,4]'

  check "alice pulls: data is updated, her local change to model.bin is kept"
  cd "$alice"
  echo "alice's experiment, not recorded" >model.bin
  cp model.bin "$TEST_ROOT/alice-model"
  before=$(count_files .mlake/objects)
  expect_success mlake --json pull
  expect_json '[d["nodes"], d["updated"], d["kept"]]' '[1,["data"],["model.bin"]]'
  expect_received "$before" 4 1
  expect_stderr_contains "kept your changes to model.bin"
  expect_same_file model.bin "$TEST_ROOT/alice-model"
  expect_same_tree "$alice/data" "$bob/data"
  expect_no_file data/part-09/row-299.csv
  expect_failure 1 mlake status --exit-code
  expect_stdout_contains "model.bin"

  check "checkout --force takes the pulled model; then alice matches bob"
  expect_success mlake checkout --force model.bin
  expect_same_tree "$alice" "$bob"
  expect_same_file mlake.lock "$bob/mlake.lock"
  expect_same_log "$alice" "$bob"
  expect_fsck_clean 0

  check "a pull with nothing new changes nothing"
  listing "$alice" "$TEST_ROOT/before"
  expect_success mlake --json pull origin
  expect_json '[d["nodes"], d["objects"], d["updated"], d["kept"]]' '[0,0,[],[]]'
  expect_stderr_empty
  listing "$alice" "$TEST_ROOT/after"
  cmp -s "$TEST_ROOT/before" "$TEST_ROOT/after" || fail "a pull with nothing new changed the workspace"

  check "bob records a third version of data and a new artifact"
  cd "$bob"
  echo "more rows" >data/part-04/more.csv
  echo '{"accuracy": 0.93}' >metrics.json
  expect_success mlake add -m "bob: more data and metrics" data metrics.json
  expect_success mlake push

  more_hash=$(sha256_of data/part-04/more.csv)
  metrics_hash=$(sha256_of metrics.json)

  check "alice fetches: the history arrives, the content does not"
  cd "$alice"
  listing "$alice" "$TEST_ROOT/before"
  expect_success mlake fetch
  expect_stdout "from origin ($url): 1 node(s)"
  listing "$alice" "$TEST_ROOT/after"
  cmp -s "$TEST_ROOT/before" "$TEST_ROOT/after" || fail "fetch changed the workspace"
  expect_no_file metrics.json
  expect_no_file "$(object_path "$more_hash")"
  expect_no_file "$(object_path "$metrics_hash")"
  expect_success mlake --json log
  expect_json 'd[0]["message"]' "bob: more data and metrics"
  expect_json 'len(d)' 3
  expect_success mlake log
  expect_stdout_contains "bob: more data and metrics"

  check "fsck after fetch: clean, with content not downloaded"
  expect_fsck_clean +
  expect_success mlake fsck
  expect_stdout_contains "not downloaded"

  check "checking out a fetched version fails and says to pull"
  snapshot_lake "$TEST_ROOT/snap-fetched"
  expect_failure 3 mlake checkout data@3
  expect_one_error_line
  expect_stderr_contains "'mlake pull'"
  expect_lake_unchanged "$TEST_ROOT/snap-fetched"
  expect_failure 3 mlake checkout metrics.json
  expect_one_error_line
  expect_stderr_contains "'mlake pull'"
  listing "$alice" "$TEST_ROOT/after"
  cmp -s "$TEST_ROOT/before" "$TEST_ROOT/after" || fail "a failed checkout changed the workspace"

  check "pull NAME@VER downloads just that version and checks it out"
  listing "$alice/data" "$TEST_ROOT/data-before"
  before=$(count_files .mlake/objects)
  expect_success mlake --json pull metrics.json@1
  expect_json '[d["nodes"], d["objects"], d["updated"], d["kept"]]' '[0,1,["metrics.json"],[]]'
  expect_received "$before" 1
  expect_file "$(object_path "$metrics_hash")"
  expect_same_file metrics.json "$bob/metrics.json"
  expect_no_file "$(object_path "$more_hash")"
  listing "$alice/data" "$TEST_ROOT/data-after"
  cmp -s "$TEST_ROOT/data-before" "$TEST_ROOT/data-after" || fail "pull metrics.json@1 changed data/"
  expect_fsck_clean +
  expect_failure 3 mlake checkout data@3
  expect_stderr_contains "'mlake pull'"

  check "pull then takes the rest: alice matches bob again"
  before=$(count_files .mlake/objects)
  expect_success mlake --json pull
  expect_json 'd["nodes"]' 0
  expect_same_tree "$alice" "$bob"
  expect_same_file mlake.lock "$bob/mlake.lock"
  expect_same_log "$alice" "$bob"
  expect_fsck_clean 0
  expect_success mlake status --exit-code

  check "alice has nothing bob did not push: her push sends nothing"
  expect_success mlake push origin
  expect_stdout "to origin ($url): 0 object(s) (0 B) and 0 node(s); $(count_files .mlake/objects) object(s) were there already"

  check "a clone --metadata-only has the history; pull brings the content"
  cd "$WORK"
  expect_success mlake clone --metadata-only "$url" carol
  expect_stdout_contains "3 node(s)"
  cd "$carol"
  expect_success mlake --json log
  expect_json 'len(d)' 3
  expect_no_file metrics.json
  expect_fsck_clean +
  expect_success mlake pull
  expect_fsck_clean 0
  expect_same_tree "$carol" "$bob"
  expect_same_file mlake.lock "$bob/mlake.lock"
  expect_success mlake status --exit-code
}
