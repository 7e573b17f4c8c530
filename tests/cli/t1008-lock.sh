#!/bin/bash
# The writer lock: writers give up after MLAKE_LOCK_TIMEOUT naming the
# holder and change nothing; readers are not held up; writers that wait get
# their turn.
. ./lib.sh

command -v flock >/dev/null || fail "this test needs flock(1)"
now_ms() { echo $(($(date +%s%N) / 1000000)); }

new_lake
mkdir data
cp "$TESTDATA/iris.csv" data/iris.csv
echo v1 >model.txt
expect_success mlake add -m "v1" data model.txt
echo new >new.txt

# hold_lock SECONDS [then]: hold .mlake/lock from another process, the way
# a running mlake would, with a holder's name in the file. With "then", the
# holder touches $TEST_ROOT/released when its time is up, just before the
# lock is released; without, release_lock ends it.
hold_lock() {
  rm -f "$TEST_ROOT/holder.pid" "$TEST_ROOT/released"
  printf 'process 4242 (test holder) on testhost\n' >.mlake/lock
  if [ "${2:-}" = then ]; then
    flock .mlake/lock sh -c "echo \$\$ >'$TEST_ROOT/holder.pid'; sleep $1; touch '$TEST_ROOT/released'" &
  else
    flock .mlake/lock sh -c "echo \$\$ >'$TEST_ROOT/holder.pid'; exec sleep $1" &
  fi
  HOLDER_FLOCK=$!
  BACKGROUND_PIDS="$HOLDER_FLOCK"
  local i
  for i in $(seq 100); do
    if [ -s "$TEST_ROOT/holder.pid" ]; then
      BACKGROUND_PIDS="$(cat "$TEST_ROOT/holder.pid") $HOLDER_FLOCK"
      return 0
    fi
    sleep 0.05
  done
  fail "flock did not take the lock"
}
release_lock() {
  kill "$(cat "$TEST_ROOT/holder.pid")" 2>/dev/null
  wait "$HOLDER_FLOCK" 2>/dev/null
  BACKGROUND_PIDS=
}

check "the lock is held from outside"
hold_lock 60
flock -n .mlake/lock true && fail "the lock is not held"
snapshot_lake "$TEST_ROOT/snap"

check "add gives up after MLAKE_LOCK_TIMEOUT with exit 11 naming the holder"
start=$(now_ms)
MLAKE_LOCK_TIMEOUT=0.5 expect_failure 11 mlake add -m "blocked" new.txt
took=$(($(now_ms) - start))
expect_one_error_line
expect_stderr_contains "the lake is locked by process 4242 (test holder) on testhost"
[ "$took" -ge 400 ] || fail "add gave up after ${took} ms, before the 0.5 s timeout"
[ "$took" -lt 4000 ] || fail "add took ${took} ms to give up with a 0.5 s timeout"
expect_lake_unchanged "$TEST_ROOT/snap"
expect_no_file "$(object_path "$(sha256_of new.txt)")"
expect_eq "$(cat .mlake/lock)" "process 4242 (test holder) on testhost" "the lock file"

check "MLAKE_LOCK_TIMEOUT=0 gives up at once"
start=$(now_ms)
MLAKE_LOCK_TIMEOUT=0 expect_failure 11 mlake add -m "blocked" new.txt
took=$(($(now_ms) - start))
[ "$took" -lt 2000 ] || fail "add took ${took} ms to give up with timeout 0"
expect_lake_unchanged "$TEST_ROOT/snap"

for cmd in "annotate -m blocked --owner someone data" "checkout" "gc" "reindex" \
  "add -m blocked model.txt"; do
  check "'mlake $cmd' exits 11 while the lake is locked"
  # shellcheck disable=SC2086
  MLAKE_LOCK_TIMEOUT=0.3 expect_failure 11 mlake $cmd
  expect_one_error_line
  expect_stderr_contains "locked by process 4242"
  expect_lake_unchanged "$TEST_ROOT/snap"
done

check "readers work while the lock is held, without waiting for it"
echo v2 >model.txt
for cmd in "log" "log data" "list" "status" "show data" "show data@1" "show model.txt" \
  "--json status" "--json list" "fsck"; do
  start=$(now_ms)
  # shellcheck disable=SC2086
  expect_success mlake $cmd
  took=$(($(now_ms) - start))
  [ "$took" -lt 4000 ] || fail "'mlake $cmd' took ${took} ms while the lock was held"
done
expect_success mlake status
expect_stdout "modified  model.txt"
expect_success mlake --json log
expect_json 'len(d)' 1
expect_json 'd[0]["message"]' v1
expect_lake_unchanged "$TEST_ROOT/snap"
echo v1 >model.txt

check "once the lock is released, add works"
release_lock
expect_success mlake add -m "after the release" new.txt
expect_stdout_contains "added    new.txt  @1"
[ -s .mlake/lock ] && fail "mlake left a holder's name in the released lock file: $(cat .mlake/lock)"

check "a writer waits for the lock and then does its work"
echo v3 >model.txt
hold_lock 2 then
[ ! -e "$TEST_ROOT/released" ] || fail "the machine is too slow for this check"
MLAKE_LOCK_TIMEOUT=30 expect_success mlake add -m "waited" model.txt
[ -e "$TEST_ROOT/released" ] || fail "add did its work while the lock was held"
expect_stdout_contains "updated  model.txt  @2"
wait "$HOLDER_FLOCK" 2>/dev/null
BACKGROUND_PIDS=

check "concurrent adds are serialised: both recorded, one after the other"
for i in 1 2 3 4; do
  random_file "par$i.bin" 2000000 "par$i"
done
pids=
for i in 1 2 3 4; do
  MLAKE_LOCK_TIMEOUT=30 "$MLAKE" add -m "parallel $i" "par$i.bin" \
    >"$TEST_ROOT/par$i.out" 2>"$TEST_ROOT/par$i.err" &
  pids+=" $!"
done
BACKGROUND_PIDS=$pids
i=0
for pid in $pids; do
  i=$((i + 1))
  wait "$pid" || {
    RC=$?
    LAST_CMD="mlake add -m 'parallel $i' par$i.bin"
    cp "$TEST_ROOT/par$i.out" "$OUT"
    cp "$TEST_ROOT/par$i.err" "$ERR"
    fail "a concurrent add failed"
  }
done
BACKGROUND_PIDS=
expect_success mlake --json log
expect_json 'len(d)' 7
"$PYTHON" - "$OUT" <<'EOF' || fail "the nodes do not form one line of history"
import json, sys
nodes = json.load(open(sys.argv[1]))  # newest first
for newer, older in zip(nodes, nodes[1:]):
    assert newer["id"] != older["id"]
ids = [n["id"] for n in nodes]
import glob, os
parents = {}
for path in glob.glob(".mlake/nodes/*.json"):
    d = json.load(open(path))
    parents[os.path.basename(path)[:-5]] = d["parents"]
# every node but the first has exactly the previous one as its parent
for newer, older in zip(ids, ids[1:]):
    assert parents[newer] == [older], (newer, parents[newer], older)
assert parents[ids[-1]] == []
EOF
expect_success mlake status --exit-code
expect_success mlake fsck

pass
