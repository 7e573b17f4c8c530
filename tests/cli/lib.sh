# shellcheck shell=bash
# Helpers for mlake's end-to-end tests, sourced by every tests/cli/t*.sh.
#
# A test script runs the real binary ($MLAKE) in a temporary folder of its
# own, with HOME and the user identity fixed, so that nothing depends on the
# machine. The first failed check stops the script with a message naming the
# check and showing the command's exit code, stdout and stderr.
#
#   . ./lib.sh
#   check "a second init is refused"
#   expect_failure 2 mlake init
#   expect_stderr_contains "already a lake"
#
# `mlake ARGS...` runs "$MLAKE" ARGS. After each run_cmd / expect_success /
# expect_failure, $RC holds the exit code and $OUT / $ERR name files with the
# command's stdout and stderr.

set -u -o pipefail

if [ -z "${MLAKE:-}" ]; then
  echo "MLAKE must name the mlake binary (ctest sets it)" >&2
  exit 2
fi
case $MLAKE in
/*) ;;
*) MLAKE=$PWD/$MLAKE ;;
esac
if [ ! -x "$MLAKE" ]; then
  echo "MLAKE='$MLAKE' is not an executable" >&2
  exit 2
fi
# python3 reads JSON and hashes files; found once, as the shims of version
# managers are slow to start. The helpers run it with -S (no site-packages:
# they need only the standard library), which halves its start-up time.
PYTHON=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) || {
  echo "these tests need python3" >&2
  exit 2
}
TESTDATA=${MLAKE_TESTDATA:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../testdata" && pwd)}
TEST_NAME=$(basename "$0" .sh)

# Everything the test makes lives under $TEST_ROOT, removed on exit. A test
# that makes and removes thousands of small files sets TEST_IN_MEMORY=1
# before sourcing this file: unless TMPDIR says where, its folder is then on
# /dev/shm, as on a disk mounted with 'discard' removing them takes seconds.
_test_tmp=${TMPDIR:-/tmp}
if [ -n "${TEST_IN_MEMORY:-}" ] && [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
  _test_tmp=/dev/shm
fi
TEST_ROOT=$(mktemp -d "$_test_tmp/mlake-$TEST_NAME.XXXXXX")
_cleanup() {
  local rc=$?
  # Processes a test started in the background, by pid.
  for pid in ${BACKGROUND_PIDS:-}; do
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  # Folders a test made outside $TEST_ROOT.
  for dir in ${EXTRA_CLEANUP:-}; do
    chmod -R u+w "$dir" 2>/dev/null
    rm -rf "$dir"
  done
  if [ -n "${KEEP_TEST_ROOT:-}" ]; then
    echo "kept $TEST_ROOT" >&2
  else
    chmod -R u+w "$TEST_ROOT" 2>/dev/null
    rm -rf "$TEST_ROOT"
  fi
  exit $rc
}
trap _cleanup EXIT
trap 'exit 130' INT TERM HUP
BACKGROUND_PIDS=
EXTRA_CLEANUP=

# A machine-independent environment.
export HOME=$TEST_ROOT/home
mkdir -p "$HOME"
export XDG_CONFIG_HOME=$HOME/.config
export GIT_CONFIG_NOSYSTEM=1
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL \
  GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL GIT_CONFIG_GLOBAL EMAIL
unset MLAKE_LOCK_TIMEOUT
export MLAKE_USER_NAME="Test User"
export MLAKE_USER_EMAIL="test@example.com"
export LC_ALL=C TZ=UTC
umask 022

OUT=$TEST_ROOT/.stdout
ERR=$TEST_ROOT/.stderr
RC=0
LAST_CMD=
CHECK="(setup)"
: >"$OUT"
: >"$ERR"

# The folder tests work in; a fresh one per script.
WORK=$TEST_ROOT/work
mkdir -p "$WORK"
cd "$WORK" || exit 2

mlake() {
  "$MLAKE" "$@"
}

# A failed cd stops the test: the checks after it would look elsewhere.
cd() {
  builtin cd "$@" || fail "cannot cd to $*"
}

# Name the check that follows, for failure messages.
check() {
  CHECK=$*
}

_show_output() {
  echo "--- command: $LAST_CMD" >&2
  echo "--- exit code: $RC" >&2
  echo "--- stdout:" >&2
  head -c 4000 "$OUT" >&2
  echo "--- stderr:" >&2
  head -c 4000 "$ERR" >&2
  echo "---" >&2
}

# Stop the test: name the check, say what went wrong, show the last command.
fail() {
  {
    echo "FAIL: $TEST_NAME: $CHECK"
    echo "  $*"
  } >&2
  _show_output
  exit 1
}

_quote_cmd() {
  local out='' a
  for a in "$@"; do
    case $a in
    *[[:space:]\"\'\$\\]* | "") out+=" '${a//\'/\'\\\'\'}'" ;;
    *) out+=" $a" ;;
    esac
  done
  echo "${out# }"
}

# Run a command, whatever its exit code; keeps $RC, $OUT and $ERR.
run_cmd() {
  LAST_CMD=$(_quote_cmd "$@")
  "$@" >"$OUT" 2>"$ERR" </dev/null
  RC=$?
  return 0
}

expect_success() {
  run_cmd "$@"
  [ "$RC" -eq 0 ] || fail "expected exit code 0, got $RC"
}

# expect_failure CODE CMD...: the command must exit with exactly CODE.
expect_failure() {
  local code=$1
  shift
  run_cmd "$@"
  [ "$RC" -eq "$code" ] || fail "expected exit code $code, got $RC"
}

expect_stdout_contains() {
  grep -qF -- "$1" "$OUT" || fail "stdout does not contain '$1'"
}

expect_stdout_not_contains() {
  ! grep -qF -- "$1" "$OUT" || fail "stdout contains '$1'"
}

expect_stderr_contains() {
  grep -qF -- "$1" "$ERR" || fail "stderr does not contain '$1'"
}

expect_stderr_not_contains() {
  ! grep -qF -- "$1" "$ERR" || fail "stderr contains '$1'"
}

# The whole of stdout, exactly.
expect_stdout() {
  local want=$1
  [ "$(cat "$OUT")" = "$want" ] ||
    fail "stdout is not exactly:"$'\n'"$want"
}

expect_stdout_empty() {
  [ ! -s "$OUT" ] || fail "stdout is not empty"
}

expect_stderr_empty() {
  [ ! -s "$ERR" ] || fail "stderr is not empty"
}

# stderr is one "mlake: error: ..." line, optionally followed by one
# "hint: ..." line, and stdout is empty: the way every error is reported.
expect_one_error_line() {
  local lines first second
  lines=$(wc -l <"$ERR")
  first=$(sed -n 1p "$ERR")
  second=$(sed -n 2p "$ERR")
  case $first in
  "mlake: error: "?*) ;;
  *) fail "stderr does not start with a 'mlake: error: ...' line" ;;
  esac
  if [ "$lines" -eq 2 ]; then
    case $second in
    "hint: "?*) ;;
    *) fail "the second line of stderr is not a 'hint: ...' line" ;;
    esac
  elif [ "$lines" -ne 1 ]; then
    fail "stderr has $lines lines, expected an error line and at most a hint"
  fi
  [ -n "$(tail -c1 "$ERR")" ] && fail "stderr does not end with a newline"
  expect_stdout_empty
  # Kept for expect_hints_name_real_commands.
  if [ -n "$second" ]; then
    printf '%s\t%s\n' "$LAST_CMD" "$second" >>"$TEST_ROOT/.hints"
  fi
}

# Every hint seen so far by expect_one_error_line that tells the user to run
# 'mlake COMMAND' names a command this mlake has.
expect_hints_name_real_commands() {
  local commands cmd hint word bad=
  local -A seen=()
  commands=$("$MLAKE" --help | sed -n 's/^  \([a-z][a-z-]*\)  .*/\1/p')
  [ -f "$TEST_ROOT/.hints" ] || return 0
  while IFS=$'\t' read -r cmd hint; do
    [ -z "${seen[$hint]:-}" ] || continue
    seen[$hint]=1
    for word in $(grep -oE "'mlake [a-z][a-z-]*" <<<"$hint" | cut -c8-); do
      grep -qx -- "$word" <<<"$commands" ||
        bad+="  $hint"$'\n'"    (after: $cmd)"$'\n'
    done
  done <"$TEST_ROOT/.hints"
  if [ -n "$bad" ]; then
    CHECK="hints name only commands that exist"
    LAST_CMD="(several)"
    fail "these hints name a command mlake does not have:"$'\n'"$bad"
  fi
}

expect_eq() {
  local actual=$1 expected=$2 what=${3:-value}
  [ "$actual" = "$expected" ] ||
    fail "$what is '$actual', expected '$expected'"
}

expect_ne() {
  local actual=$1 unexpected=$2 what=${3:-value}
  [ "$actual" != "$unexpected" ] ||
    fail "$what is '$actual', expected anything else"
}

# --- JSON, read with python3 --------------------------------------------------

# json_value EXPR [FILE]: evaluate the Python expression EXPR with `d` bound to
# the JSON document in FILE (default: the last command's stdout). Strings
# print as they are, everything else as compact JSON.
json_value() {
  local expr=$1 file=${2:-$OUT}
  "$PYTHON" -S - "$expr" "$file" <<'EOF'
import json, sys
expr, path = sys.argv[1], sys.argv[2]
with open(path, encoding="utf-8") as f:
    d = json.load(f)
v = eval(expr, {"json": json, "d": d})
print(v if isinstance(v, str) else json.dumps(v, sort_keys=True, separators=(",", ":")))
EOF
}

# expect_json EXPR EXPECTED: a field of the last command's JSON output.
expect_json() {
  local expr=$1 want=$2 got
  got=$(json_value "$expr" 2>&1) || fail "cannot evaluate $expr on stdout: $got"
  [ "$got" = "$want" ] || fail "JSON $expr is '$got', expected '$want'"
}

# Whether stdout is one valid JSON document.
expect_json_output() {
  "$PYTHON" -S -c 'import json,sys; json.load(open(sys.argv[1]))' "$OUT" 2>/dev/null ||
    fail "stdout is not valid JSON"
}

# lock_value PATH FIELD: a field of mlake.lock's entry for PATH.
lock_value() {
  "$PYTHON" -S - "$1" "$2" "${3:-mlake.lock}" <<'EOF'
import sys
path, field, lock = sys.argv[1], sys.argv[2], sys.argv[3]
# mlake.lock is simple YAML written by mlake: parse the part we need.
entry = None
for line in open(lock, encoding="utf-8"):
    line = line.rstrip("\n")
    if line.startswith("    ") and entry == path:
        key, _, value = line.strip().partition(": ")
        if key == field:
            print(value.strip("'\""))
            sys.exit(0)
    elif line.startswith("  ") and not line.startswith("    "):
        entry = line.strip()[:-1].strip("'\"")
sys.exit(1)
EOF
}

# --- Lakes and folders -------------------------------------------------------

# lake_snapshot [ROOT]: the exact state of a lake: every entry under .mlake
# (except index.db*, lock) with its type, mode and, for files, sha256; plus
# mlake.lock. Two equal snapshots mean the lake was left exactly as it was.
lake_snapshot() {
  "$PYTHON" -S - "${1:-.}" <<'EOF'
import hashlib, os, stat, sys
root = sys.argv[1]
def digest(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
def describe(path, rel):
    st = os.lstat(path)
    mode = "%o" % stat.S_IMODE(st.st_mode)
    if stat.S_ISLNK(st.st_mode):
        return "link %s %s -> %s" % (mode, rel, os.readlink(path))
    if stat.S_ISDIR(st.st_mode):
        return "dir  %s %s" % (mode, rel)
    return "file %s %s %d %s" % (mode, rel, st.st_size, digest(path))
lines = []
top = os.path.join(root, ".mlake")
skip = {"index.db", "index.db-wal", "index.db-shm", "index.db-journal", "lock"}
for dirpath, dirnames, filenames in os.walk(top):
    rel_dir = os.path.relpath(dirpath, root)
    for name in dirnames + filenames:
        rel = os.path.join(rel_dir, name)
        if dirpath == top and name in skip:
            continue
        lines.append(describe(os.path.join(dirpath, name), rel))
lock = os.path.join(root, "mlake.lock")
if os.path.lexists(lock):
    lines.append(describe(lock, "mlake.lock"))
else:
    lines.append("absent mlake.lock")
print("\n".join(sorted(lines)))
EOF
}

# snapshot_lake FILE [ROOT]: save the snapshot of the lake at ROOT (default:
# the current folder) in FILE; expect_lake_unchanged FILE compares the same
# lake with it again, from wherever the test is now.
snapshot_lake() {
  local root
  root=$(cd "${2:-.}" && pwd) || fail "no folder '${2:-.}'"
  lake_snapshot "$root" >"$1" || fail "cannot snapshot the lake"
  echo "$root" >"$1.root"
}

expect_lake_unchanged() {
  local now=$TEST_ROOT/.snapshot-now
  lake_snapshot "$(cat "$1.root")" >"$now" || fail "cannot snapshot the lake"
  if ! cmp -s "$1" "$now"; then
    fail "the lake changed:"$'\n'"$(diff "$1" "$now")"
  fi
}

# tree_listing DIR: every file under DIR (relative path, exec bit, sha256)
# and every symbolic link, sorted; compares folders byte for byte.
tree_listing() {
  "$PYTHON" -S - "$1" <<'EOF'
import hashlib, os, stat, sys
top = sys.argv[1]
out = []
for dirpath, dirnames, filenames in os.walk(top):
    dirnames[:] = [d for d in dirnames if d not in (".mlake", ".git")]
    for name in filenames:
        path = os.path.join(dirpath, name)
        rel = os.path.relpath(path, top)
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode):
            out.append("%s link" % rel)
            continue
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        x = "x" if st.st_mode & stat.S_IXUSR else "-"
        out.append("%s %s %d %s" % (rel, x, st.st_size, h.hexdigest()))
print("\n".join(sorted(out)))
EOF
}

# snapshot_workspace FILE: every file (as tree_listing lists it) and folder
# of the workspace in the current folder, outside .mlake and .git;
# expect_workspace_unchanged FILE compares the same folder with it again:
# a refused command left no file behind, not even a temporary one.
_workspace_listing() {
  tree_listing "$1" || return 1
  (builtin cd "$1" && find . \( -name .mlake -o -name .git \) -prune -o -type d -print | sort)
}

snapshot_workspace() {
  _workspace_listing . >"$1" || fail "cannot list the workspace"
  pwd >"$1.root"
}

expect_workspace_unchanged() {
  local now=$TEST_ROOT/.workspace-now
  _workspace_listing "$(cat "$1.root")" >"$now" || fail "cannot list the workspace"
  if ! cmp -s "$1" "$now"; then
    fail "the workspace changed:"$'\n'"$(diff "$1" "$now")"
  fi
}

# expect_same_tree A B: the same files with the same bytes and exec bits.
expect_same_tree() {
  local a=$TEST_ROOT/.tree-a b=$TEST_ROOT/.tree-b
  tree_listing "$1" >"$a" || fail "cannot list $1"
  tree_listing "$2" >"$b" || fail "cannot list $2"
  if ! cmp -s "$a" "$b"; then
    fail "'$1' and '$2' differ:"$'\n'"$(diff "$a" "$b" | head -40)"
  fi
}

expect_same_file() {
  cmp -s -- "$1" "$2" || fail "'$1' and '$2' differ"
}

expect_file() {
  [ -f "$1" ] || fail "no file '$1'"
}

expect_no_file() {
  [ ! -e "$1" ] && [ ! -L "$1" ] || fail "'$1' exists"
}

sha256_of() {
  sha256sum "$1" | cut -d' ' -f1
}

# The path of an object in the lake at ROOT (default .).
object_path() {
  local hash=$1 root=${2:-.}
  echo "$root/.mlake/objects/${hash:0:2}/${hash:2}"
}

# Make a fresh lake in the current folder.
new_lake() {
  expect_success mlake init "$@"
}

# Write deterministic pseudo-random bytes: random_file PATH SIZE SEED.
random_file() {
  "$PYTHON" -S - "$1" "$2" "$3" <<'EOF'
import random, sys
path, size, seed = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rng = random.Random(seed)
with open(path, "wb") as f:
    f.write(rng.randbytes(size))
EOF
}

# --- Remotes -----------------------------------------------------------------

# use_s3: talk to the S3-compatible server (s3rver) that ctest starts for the
# whole run (tests/s3/s3rver.sh, the "s3" fixture). Reads the state file that
# MLAKE_TEST_S3_STATE names, exports MLAKE_TEST_S3_ENDPOINT, AWS_ENDPOINT_URL
# and s3rver's credentials (and nothing else of the caller's AWS setup), and
# sets S3_PREFIX, a prefix of bucket mlake-test that no other test uses:
#   url=$(s3_url origin)   # s3://mlake-test/$S3_PREFIX/origin
# S3RVER_DIR (from the state file) holds the server's data and log.
use_s3() {
  local state=${MLAKE_TEST_S3_STATE:-}
  CHECK="the S3 test server"
  LAST_CMD="(use_s3)"
  [ -n "$state" ] ||
    fail "MLAKE_TEST_S3_STATE is not set: run this test with ctest, which starts s3rver (tests/s3/s3rver.sh)"
  [ -f "$state" ] ||
    fail "no S3 state file '$state': s3rver is not running (ctest's s3rver.start test starts it; 'npm ci --prefix tests/s3' installs it)"
  MLAKE_TEST_S3_ENDPOINT=
  S3RVER_DIR=
  # shellcheck disable=SC1090
  . "$state" || fail "cannot read the S3 state file '$state'"
  case $MLAKE_TEST_S3_ENDPOINT in
  http://127.0.0.1:[0-9]*) ;;
  *) fail "'$state' names no MLAKE_TEST_S3_ENDPOINT=http://127.0.0.1:PORT" ;;
  esac
  unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN \
    AWS_SHARED_CREDENTIALS_FILE AWS_CONFIG_FILE AWS_ENDPOINT_URL_S3 \
    AWS_REGION AWS_DEFAULT_REGION
  export MLAKE_TEST_S3_ENDPOINT
  export AWS_ENDPOINT_URL=$MLAKE_TEST_S3_ENDPOINT
  export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
  S3_BUCKET=mlake-test
  S3_PREFIX=$TEST_NAME-$$-$RANDOM$RANDOM
  CHECK="(setup)"
}

# s3_url NAME: a fresh remote under this test's prefix of the test bucket.
s3_url() {
  echo "s3://$S3_BUCKET/$S3_PREFIX/$1"
}

# expect_store_sound DIR: a folder remote (or a .mlake) holds nothing under
# a final name that is not what the name says: every objects/XX/REST hashes
# to XXREST, every nodes/ID.json hashes to ID. Sets STORE_OBJECTS and
# STORE_NODES to how many there are.
expect_store_sound() {
  local report
  report=$("$PYTHON" - "$1" <<'EOF'
import hashlib, os, sys
top = sys.argv[1]
bad, objects, nodes = [], 0, 0
def digest(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
for dirpath, _, filenames in os.walk(os.path.join(top, "objects")):
    for name in filenames:
        path = os.path.join(dirpath, name)
        objects += 1
        if digest(path) != os.path.basename(dirpath) + name:
            bad.append(os.path.relpath(path, top))
nodes_dir = os.path.join(top, "nodes")
for name in sorted(os.listdir(nodes_dir)) if os.path.isdir(nodes_dir) else []:
    nodes += 1
    if not name.endswith(".json") or digest(os.path.join(nodes_dir, name)) != name[:-5]:
        bad.append("nodes/" + name)
if bad:
    print("BAD " + " ".join(bad[:20]))
else:
    print("%d %d" % (objects, nodes))
EOF
  ) || fail "cannot check the store in '$1'"
  case $report in
  BAD*) fail "files in '$1' do not hash to their names: ${report#BAD }" ;;
  esac
  STORE_OBJECTS=${report% *}
  STORE_NODES=${report#* }
}

# count_files DIR: how many files are under DIR (0 when it does not exist).
count_files() {
  if [ -d "$1" ]; then
    find "$1" -type f | wc -l
  else
    echo 0
  fi
}

# wait_for_file PATH [SECONDS]: wait until PATH exists (default: 10 s), as a
# sign from a process the test started in the background.
wait_for_file() {
  local path=$1 tenths=$((${2:-10} * 10))
  while [ ! -e "$path" ]; do
    tenths=$((tenths - 1))
    [ "$tenths" -gt 0 ] || fail "'$path' did not appear within ${2:-10} s"
    sleep 0.1
  done
}

# known_bug WHAT CMD...: CMD is a check (a function calling expect_* or
# fail) that fails because of a bug in mlake that has been reported and is
# not fixed yet. It runs in a subshell, so a failure does not stop the test:
# it is listed as "KNOWN BUG" on stderr. Once the bug is fixed the check
# passes, and a note says to make it a plain check again.
known_bug() {
  local what=$1
  shift
  if ("$@") >/dev/null 2>&1; then
    echo "NOTE: $TEST_NAME: known bug fixed? '$what' passes: make it a plain check" >&2
  else
    echo "KNOWN BUG: $TEST_NAME: $what" >&2
  fi
}

# Finish: say so only when every check passed.
pass() {
  echo "PASS: $TEST_NAME"
  exit 0
}
