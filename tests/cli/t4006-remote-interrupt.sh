#!/bin/bash
# A push or a pull killed with SIGKILL mid-transfer leaves no partial object
# under its final name on either side; run again, it finishes the job and
# transfers only what is missing. Folder remotes (many small files, then a
# large one), and an S3 multipart upload.
TEST_IN_MEMORY=1 # thousands of small files
. ./lib.sh
use_s3

# kill_when CONDITION CMD...: run CMD in the background and SIGKILL it as
# soon as the shell command CONDITION succeeds ($PID is CMD's pid). $RC is
# 137 when CMD was killed, its own exit code when it ended first.
kill_when() {
  local condition=$1 polls=0
  shift
  LAST_CMD="$(_quote_cmd "$@") (SIGKILL once: $condition)"
  "$@" >"$OUT" 2>"$ERR" </dev/null &
  PID=$!
  BACKGROUND_PIDS=$PID
  until eval "$condition"; do
    kill -0 "$PID" 2>/dev/null || break
    polls=$((polls + 1))
    [ "$polls" -lt 30000 ] || break
    sleep 0.001
  done
  kill -KILL "$PID" 2>/dev/null
  wait "$PID" 2>/dev/null
  RC=$?
  BACKGROUND_PIDS=
}

# written PID: how many bytes the process has written so far (content
# arriving in an unnamed O_TMPFILE shows nowhere else).
written() {
  sed -n 's/^wchar: //p' "/proc/$1/io" 2>/dev/null || echo 0
}

# has_file DIR [FIND-TESTS...]: DIR holds a file (passing the tests).
has_file() {
  local dir=$1
  shift
  [ -n "$(find "$dir" -type f "$@" -print -quit 2>/dev/null)" ]
}

# has_files DIR N: DIR holds at least N files.
has_files() {
  [ "$(find "$1" -type f 2>/dev/null | head -n "$2" | wc -l)" -ge "$2" ]
}

remote=$TEST_ROOT/remote
src=$WORK/src

check "a lake with 1,000 small files"
mkdir -p "$src"
cd "$src"
new_lake
"$PYTHON" - <<'EOF' || fail "cannot make the test data"
import os, random
rng = random.Random(4006)
for i in range(1000):
    d = "many/%02d" % (i % 30)
    os.makedirs(d, exist_ok=True)
    with open("%s/f%04d" % (d, i), "wb") as f:
        f.write(rng.randbytes(rng.randrange(200, 2000)))
EOF
expect_success mlake add -m "many small files" many
total=$(count_files .mlake/objects)
expect_eq "$total" 1001 "objects in the lake"
expect_success mlake remote add origin "$remote"

# --- push, many small files -------------------------------------------------
check "push of 1,000 files killed once objects reach the remote"
for attempt in 1 2 3 4 5; do
  rm -rf "$remote"
  kill_when "has_file '$remote/objects'" "$MLAKE" --no-progress push -j 2
  [ "$RC" -eq 0 ] || break
done
[ "$RC" -eq 137 ] || fail "push exited $RC before it could be killed ($attempt attempt(s))"

check "after the killed push, every object on the remote is whole, and no node came first"
expect_store_sound "$remote"
present=$STORE_OBJECTS
echo "killed push left $present of $total object(s), $STORE_NODES node(s)," \
  "$(count_files "$remote/tmp") temporary file(s) on the remote"
[ "$present" -lt "$total" ] || fail "the push was killed after it sent every object"
expect_eq "$STORE_NODES" 0 "nodes on the remote before all their objects"

check "push again sends only what is missing"
expect_success mlake --json push
expect_json '[d["objects"], d["objects_present"], d["nodes"]]' "[$((total - present)),$present,1]"
expect_store_sound "$remote"
expect_eq "$STORE_OBJECTS" "$total" "objects on the remote"
expect_eq "$STORE_NODES" 1 "nodes on the remote"

# --- push, a large file -----------------------------------------------------
check "push of a 64 MB file killed while it is being copied"
random_file big.bin $((64 << 20)) big
big_hash=$(sha256_of big.bin)
expect_success mlake add -m "a large file" big.bin
expect_success mlake --json log
big_node=$(json_value 'd[0]["id"]')
big_remote=$remote/objects/${big_hash:0:2}/${big_hash:2}
for attempt in 1 2 3 4 5; do
  kill_when "has_file '$remote/tmp' -size +64k" "$MLAKE" --no-progress push
  [ "$RC" -eq 0 ] || break
  # it finished first: take the large object and its node off the remote
  rm -f "$big_remote" "$remote/nodes/$big_node.json"
done
[ "$RC" -eq 137 ] || fail "push exited $RC before it could be killed ($attempt attempt(s))"

check "after the killed push, the large object is not on the remote in part"
expect_store_sound "$remote"
expect_no_file "$remote/nodes/$big_node.json"
if [ -e "$big_remote" ]; then
  sent=0 # the copy had just finished: it is whole (checked above)
else
  sent=1
fi
has_file "$remote/tmp" || echo "(no temporary file left on the remote)"

check "push again sends just the large file, then the node"
expect_success mlake --json push
expect_json '[d["objects"], d["nodes"]]' "[$sent,1]"
expect_store_sound "$remote"
expect_eq "$STORE_OBJECTS" $((total + 1)) "objects on the remote"
expect_same_file "$big_remote" big.bin

# --- pull, many small files and the large one -------------------------------
check "pull into a new lake killed once 200 objects have arrived"
dst=$WORK/dst
for attempt in 1 2 3 4 5; do
  rm -rf "$dst"
  mkdir -p "$dst"
  cd "$dst"
  expect_success mlake -q init
  expect_success mlake remote add origin "$remote"
  kill_when "has_files '$dst/.mlake/objects' 200" "$MLAKE" --no-progress pull -j 2
  [ "$RC" -eq 0 ] || break
done
[ "$RC" -eq 137 ] || fail "pull exited $RC before it could be killed ($attempt attempt(s))"
got=$(count_files .mlake/objects)
echo "killed pull left $got object(s), $(count_files .mlake/tmp) temporary file(s)"

check "fsck after the killed pull: no faults (leftover temporary files are not faults)"
expect_success mlake --json fsck
expect_json 'd["ok"]' true
expect_json 'd["faults"]' '[]'
expect_store_sound .mlake

check "pull again takes only what is missing and fills the workspace"
expect_success mlake --json pull
expect_json 'd["objects"]' $((total + 1 - got))
expect_same_tree "$src" "$dst"
expect_same_file "$src/mlake.lock" "$dst/mlake.lock"
expect_success mlake --json fsck
expect_json '[d["ok"], d["faults"], d["not_downloaded"]]' '[true,[],0]'
expect_success mlake status --exit-code

check "pull of the large file killed while it arrives"
dst2=$WORK/dst2
for attempt in 1 2 3 4 5; do
  cd "$WORK"
  rm -rf "$dst2"
  expect_success mlake clone --metadata-only "$remote" "$dst2"
  cd "$dst2"
  kill_when '[ "$(written "$PID")" -gt $((16 << 20)) ]' "$MLAKE" --no-progress pull big.bin
  [ "$RC" -eq 0 ] || break
done
[ "$RC" -eq 137 ] || fail "pull exited $RC before it could be killed ($attempt attempt(s))"

check "fsck after the killed pull of the large file: no faults"
expect_success mlake --json fsck
expect_json '[d["ok"], d["faults"]]' '[true,[]]'
expect_json 'd["not_downloaded"] > 0' true
expect_store_sound .mlake

check "pull again completes"
expect_success mlake pull
expect_same_tree "$src" "$dst2"
expect_success mlake --json fsck
expect_json '[d["ok"], d["faults"], d["not_downloaded"]]' '[true,[],0]'

# --- S3: a multipart upload killed ------------------------------------------
check "S3: push killed in the middle of a multipart upload"
cd "$WORK"
mkdir s3src
cd s3src
new_lake
random_file large.bin $((30 << 20)) "s3-large-$S3_PREFIX" # distinct: found in the log
large_hash=$(sha256_of large.bin)
echo "small" >small.txt
expect_success mlake add -m "for S3" large.bin small.txt
expect_success mlake remote add --part-size 5242880 cloud "$(s3_url cloud)"
[ -f "$S3RVER_DIR/log" ] || fail "no s3rver log at '$S3RVER_DIR/log'"
kill_when "grep -q '${large_hash:2}?partNumber=' '$S3RVER_DIR/log'" \
  "$MLAKE" --no-progress push -j 1
[ "$RC" -eq 137 ] || fail "push exited $RC before it could be killed"

check "S3: push again uploads the large object, which was not visible in part"
expect_success mlake --json push
# small.txt may have gone up before the kill; large.bin cannot have
expect_json 'd["objects"] >= 1 and d["objects"] + d["objects_present"] == 2' true
expect_json 'd["nodes"]' 1
expect_success mlake --json push
expect_json '[d["objects"], d["objects_present"]]' '[0,2]'

check "S3: a clone verifies the large object and gets it whole"
cd "$WORK"
expect_success mlake clone "$(s3_url cloud)" s3dst
expect_same_file s3src/large.bin s3dst/large.bin
cd s3dst
expect_success mlake fsck
expect_stdout_contains "no faults"

pass
