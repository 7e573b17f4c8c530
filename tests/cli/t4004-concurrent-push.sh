#!/bin/bash
# Two clones push different work to the same remote at the same time, for a
# folder remote and for S3: both succeed, with no lock, and a third clone
# that pulls sees all of it: two heads, every file, until a new node names
# both heads as its parents (DESIGN.md §5).
TEST_IN_MEMORY=1 # thousands of small files
. ./lib.sh
use_s3

# make_files DIR COUNT SEED: COUNT small files of distinct content.
make_files() {
  "$PYTHON" - "$@" <<'EOF' || fail "cannot make files in $1"
import os, random, sys
top, count, seed = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rng = random.Random(seed)
for i in range(count):
    d = os.path.join(top, "shard-%d" % (i % 4))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "%s-%03d.bin" % (seed, i)), "wb") as f:
        f.write(rng.randbytes(rng.randrange(100, 3000)))
EOF
}

# The heads of the lake in the current folder, as fsck reports them.
heads() {
  expect_success mlake --json fsck
  json_value '" ".join(sorted(d["heads"]))'
}

concurrent_pushes() {
  local kind=$1 url=$2 base=$WORK/$1
  mkdir -p "$base/first"
  cd "$base/first"

  check "$kind: a lake with one version, pushed, and cloned twice"
  new_lake
  echo "shared base" >base.txt
  expect_success mlake add -m "base" base.txt
  expect_success mlake remote add origin "$url"
  expect_success mlake push
  cd "$base"
  expect_success mlake clone "$url" ann
  expect_success mlake clone "$url" ben

  check "$kind: ann and ben record different work"
  make_files ann/ann-data 120 ann
  random_file ann/ann-model.bin 300000 "ann-$kind"
  (builtin cd ann && "$MLAKE" -q add -m "ann's work" ann-data ann-model.bin) ||
    fail "ann's add failed"
  make_files ben/ben-data 120 ben
  echo "ben's notes" >ben/notes.txt
  (builtin cd ben && "$MLAKE" -q add -m "ben's work" ben-data notes.txt) ||
    fail "ben's add failed"

  check "$kind: ann and ben push at the same time; both succeed"
  LAST_CMD="(cd ann && mlake --json push) & (cd ben && mlake --json push) &"
  (builtin cd ann && exec "$MLAKE" --json push) >"$base/ann.out" 2>"$base/ann.err" </dev/null &
  local ann_pid=$!
  (builtin cd ben && exec "$MLAKE" --json push) >"$base/ben.out" 2>"$base/ben.err" </dev/null &
  local ben_pid=$!
  BACKGROUND_PIDS="$ann_pid $ben_pid"
  # both at work at once: ann's push still runs now that ben's has begun
  local overlap=no
  kill -0 "$ann_pid" 2>/dev/null && overlap=yes
  wait "$ann_pid"
  local ann_rc=$?
  wait "$ben_pid"
  local ben_rc=$?
  BACKGROUND_PIDS=
  cp "$base/ann.out" "$OUT"
  cp "$base/ann.err" "$ERR"
  RC=$ann_rc
  [ "$ann_rc" -eq 0 ] || fail "ann's push exited $ann_rc"
  # 120 files, their tree, the model; and ann's node
  expect_json '[d["nodes"], d["objects"]]' '[1,122]'
  cp "$base/ben.out" "$OUT"
  cp "$base/ben.err" "$ERR"
  RC=$ben_rc
  [ "$ben_rc" -eq 0 ] || fail "ben's push exited $ben_rc"
  expect_json '[d["nodes"], d["objects"]]' '[1,122]'
  expect_eq "$overlap" yes "whether the two pushes ran at the same time"

  if [ "$kind" = dir ]; then
    check "$kind: the remote holds both nodes and every object, each sound"
    expect_store_sound "$url"
    expect_eq "$STORE_NODES" 3 "nodes on the remote"
  fi

  check "$kind: a third clone sees both pushes: two heads, all content"
  cd "$base"
  expect_success mlake --json clone "$url" cal
  expect_json '[d["nodes"], d["kept"], d["missing_on_remote"]]' '[3,[],[]]'
  cd cal
  local want_heads
  want_heads=$(
    for who in ann ben; do
      (builtin cd "$base/$who" && "$MLAKE" --json log) >"$TEST_ROOT/log.json"
      json_value 'd[0]["id"]' "$TEST_ROOT/log.json"
    done | sort | tr '\n' ' '
  )
  expect_eq "$(heads)" "${want_heads% }" "heads of the third clone"
  expect_json 'd["ok"]' true
  expect_json 'd["faults"]' '[]'
  expect_json 'd["not_downloaded"]' 0
  expect_success mlake log
  expect_stdout_contains "ann's work"
  expect_stdout_contains "ben's work"
  expect_same_tree "$base/cal/ann-data" "$base/ann/ann-data"
  expect_same_tree "$base/cal/ben-data" "$base/ben/ben-data"
  expect_same_file "$base/cal/ann-model.bin" "$base/ann/ann-model.bin"
  expect_same_file "$base/cal/notes.txt" "$base/ben/notes.txt"
  expect_same_file "$base/cal/base.txt" "$base/first/base.txt"
  expect_success mlake status --exit-code

  if [ "$kind" = dir ]; then # (the same code for S3; kept short)
    check "$kind: the first lake pulls both, and ann pulls ben's work"
    cd "$base/first"
    expect_success mlake --json pull
    expect_json '[d["nodes"], d["kept"]]' '[2,[]]'
    expect_same_tree "$base/first" "$base/cal"
    cd "$base/ann"
    expect_success mlake --json pull
    expect_json '[d["nodes"], d["kept"]]' '[1,[]]'
    expect_same_tree "$base/ann" "$base/cal"
  fi

  check "$kind: the next node names both heads as parents; one head again"
  cd "$base/cal"
  echo "after both" >>base.txt
  expect_success mlake add -m "merge the work of ann and ben" base.txt
  local merge
  merge=$(heads)
  case $merge in
  *" "*) fail "two heads after a new node: $merge" ;;
  esac
  "$PYTHON" - ".mlake/nodes/$merge.json" "${want_heads% }" <<'EOF' ||
import json, sys
node = json.load(open(sys.argv[1], encoding="utf-8"))
sys.exit(0 if sorted(node["parents"]) == sorted(sys.argv[2].split()) else 1)
EOF
    fail "the new node's parents are not the two heads"
  expect_success mlake --json push
  expect_json 'd["nodes"]' 1
  cd "$base/ben"
  expect_success mlake --json pull
  expect_json 'sorted(d["updated"])' '["ann-data","ann-model.bin","base.txt"]'
  expect_eq "$(heads)" "$merge" "ben's head after the pull"
}

mkdir -p "$TEST_ROOT/remotes"
concurrent_pushes dir "$TEST_ROOT/remotes/shared"
concurrent_pushes s3 "$(s3_url shared)"

pass
