#!/bin/bash
# A large add killed with SIGKILL at several points leaves a sound lake: fsck
# is clean, the same add run again completes, status is clean, and checkout
# reproduces every file byte for byte.
. ./lib.sh

# What a SIGKILL leaves behind is the same on any filesystem (the page cache
# outlives the process), so the ~1.2 GB this test writes go to a tmpfs when
# there is a large one: a slow disk would make the test take minutes.
# MLAKE_TEST_BIG_DIR chooses another place.
big_dir=${MLAKE_TEST_BIG_DIR:-}
if [ -z "$big_dir" ] && [ -d /dev/shm ] && [ -w /dev/shm ] &&
  [ "$(df -P -k /dev/shm 2>/dev/null | awk 'NR == 2 { print $4 }')" -gt $((3 << 20)) ] 2>/dev/null; then
  big_dir=/dev/shm
fi
if [ -n "$big_dir" ]; then
  proj=$(mktemp -d "$big_dir/mlake-$TEST_NAME.XXXXXX") || fail "cannot make a folder in $big_dir"
  EXTRA_CLEANUP="$proj $proj.out"
else
  proj=$WORK/proj
  mkdir -p "$proj"
fi
out=$proj.out
cd "$proj" || fail "no folder $proj"
echo "working in $proj"

# 2,000 files of 64 KiB and one of 256 MiB, pseudo-random (so that nothing
# deduplicates) and the same on every run: AES-CTR of zeros with fixed keys.
stream() { # SIZE KEY
  head -c "$1" /dev/zero |
    openssl enc -aes-128-ctr -nosalt -K "$2" -iv 00000000000000000000000000000000
}
check "make the test data"
mkdir -p big/shards
stream $((2000 * 65536)) 000102030405060708090a0b0c0d0e0f |
  (cd big/shards && split -b 65536 -a 4 -d - shard-) || fail "cannot make the shards"
stream $((256 << 20)) 0f0e0d0c0b0a09080706050403020100 >big/model.bin ||
  fail "cannot make big/model.bin"
expect_eq "$(find big -type f | wc -l)" 2001 "number of generated files"
expect_eq "$(stat -c %s big/model.bin)" $((256 << 20)) "size of big/model.bin"
expect_ne "$(sha256_of big/shards/shard-0000)" "$(sha256_of big/shards/shard-0001)" "shard hashes"

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# How long the whole add takes here, to kill it at fractions of that.
check "an uninterrupted add, to time it"
expect_success mlake -q init
start=$(now_ms)
expect_success mlake --no-progress add -m "big import" big
full_ms=$(($(now_ms) - start))
echo "a full add takes ${full_ms} ms"
rm -rf .mlake mlake.lock

# Kill at fractions of that: while walking and hashing the small files,
# while storing them, while storing the large file, and near the end.
killed=0
for percent in 3 15 40 65 90; do
  delay_ms=$((full_ms * percent / 100))
  delay=$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))
  expect_success mlake -q init

  check "add killed after ${delay}s (${percent}%)"
  LAST_CMD="mlake add -m 'big import' big (SIGKILL after ${delay}s)"
  "$MLAKE" --no-progress add -m "big import" big >"$OUT" 2>"$ERR" </dev/null &
  pid=$!
  BACKGROUND_PIDS=$pid
  sleep "$delay"
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  RC=$?
  BACKGROUND_PIDS=
  case $RC in
  137)
    where="killed"
    killed=$((killed + 1))
    ;;
  0) where="finished before the kill" ;;
  *) fail "add exited $RC before it was killed" ;;
  esac
  echo "after ${delay}s: $where; $(find .mlake/nodes -name '*.json' | wc -l) node(s)," \
    "$(find .mlake/objects -type f | wc -l) object(s)," \
    "$(find .mlake/tmp -type f | wc -l) temporary file(s)"

  check "fsck after the add was killed at ${delay}s ($where)"
  expect_success mlake fsck
  expect_stdout_contains "no faults"

  check "the same add, run again after the kill at ${delay}s, completes"
  expect_success mlake --no-progress add -m "big import" big
  grep -qE '^(added|unchanged) +big  @1  \(2001 files, 381\.0 MiB\)$' "$OUT" ||
    fail "no 'added/unchanged big  @1  (2001 files, 381.0 MiB)' line"
  expect_success mlake --json log
  expect_json 'len(d)' 1
  expect_json '[o["artifact"] for o in d[0]["outputs"]]' '["big"]'

  check "status is clean after the kill at ${delay}s and the rerun"
  expect_success mlake status --exit-code
  expect_stdout "clean: 1 tracked path(s) match mlake.lock"

  check "checkout --to reproduces every file after the kill at ${delay}s"
  expect_success mlake --no-progress checkout --to "$out"
  expect_stdout_contains "2001 file(s) written"
  diff -r big "$out/big" >"$TEST_ROOT/diff" 2>&1 ||
    fail "checkout differs from the source:"$'\n'"$(head -20 "$TEST_ROOT/diff")"
  rm -rf "$out" .mlake mlake.lock
done
check "the kills hit a running add"
[ "$killed" -ge 2 ] || fail "only $killed add(s) were still running when killed"

# A kill between the node (the commit point) and the rewrite of mlake.lock
# is too short a window to hit by timing: make its result by hand.
check "a crash after the node but before mlake.lock: the rerun repairs mlake.lock"
mkdir -p "$WORK/small/data"
cd "$WORK/small"
expect_success mlake -q init
echo a >data/a.txt
expect_success mlake add -m "v1" data
cp mlake.lock "$TEST_ROOT/lock-v1"
echo b >data/b.txt
expect_success mlake add -m "v2" data
cp "$TEST_ROOT/lock-v1" mlake.lock # as if killed before mlake.lock was written
expect_success mlake fsck
expect_success mlake add -m "v2" data
expect_stdout_contains "unchanged data  @2"
expect_stdout_contains "nothing new to record"
expect_success mlake status --exit-code
expect_success mlake --json log
expect_json 'len(d)' 2

pass
