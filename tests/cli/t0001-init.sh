#!/bin/bash
# init, the global options, identity and .mlake/config.yaml.
. ./lib.sh

check "--version prints the version"
expect_success mlake --version
grep -qE '^mlake [0-9]+\.[0-9]+\.[0-9]+' "$OUT" || fail "no 'mlake X.Y.Z' line"

check "--help lists every command"
expect_success mlake --help
for c in init add status checkout log show list annotate fsck gc reindex; do
  grep -qE "^  $c " "$OUT" || fail "--help does not list '$c'"
done

check "an unknown command exits 2 and names it"
expect_failure 2 mlake frobnicate
expect_one_error_line
expect_stderr_contains "unknown command 'frobnicate'"

check "no command at all exits 2"
expect_failure 2 mlake

check "an unknown option exits 2"
expect_failure 2 mlake --frobnicate status
expect_one_error_line

# --- init in the current folder -------------------------------------------------
mkdir a
cd a
check "init in an empty folder"
expect_success mlake init
expect_stdout_contains "Initialised an empty lake in $WORK/a/.mlake"
expect_stdout_contains "Test User <test@example.com>"
for d in objects nodes tmp; do
  [ -d .mlake/$d ] || fail "no .mlake/$d folder"
done
expect_file .mlake/config.yaml
expect_file .mlake/index.db
[ -z "$(find .mlake/tmp .mlake/objects .mlake/nodes -mindepth 1)" ] ||
  fail "a new lake is not empty"
expect_no_file mlake.lock
[ -z "$(find "$WORK/a" -mindepth 1 -maxdepth 1 ! -name .mlake)" ] ||
  fail "init left something besides .mlake: $(ls -A)"

check "the config names the user from MLAKE_USER_NAME/EMAIL and link mode copy"
grep -qE '^  name: Test User$' .mlake/config.yaml || fail "no user.name in config"
grep -qE '^  email: test@example.com$' .mlake/config.yaml || fail "no user.email in config"
grep -qE '^link: copy$' .mlake/config.yaml || fail "no 'link: copy' in config"

check "a new lake is clean, has no nodes and passes fsck"
expect_success mlake status
expect_stdout_contains "clean: 0 tracked path(s)"
expect_success mlake --json log
expect_json 'len(d)' 0
expect_success mlake --json list
expect_json 'd' '[]'
expect_success mlake fsck

check "a second init is refused with exit 2 and the lake is unchanged"
snapshot_lake "$TEST_ROOT/snap-a"
expect_failure 2 mlake init
expect_one_error_line
expect_stderr_contains "already a lake"
expect_stderr_contains "$WORK/a"
expect_lake_unchanged "$TEST_ROOT/snap-a"

check "init DIR of a lake is refused too"
cd "$WORK"
expect_failure 2 mlake init a
expect_one_error_line
expect_stderr_contains "already a lake"
expect_lake_unchanged "$TEST_ROOT/snap-a"

# --- init DIR -----------------------------------------------------------------
check "init DIR makes the folder and its parents"
expect_success mlake init deep/er/b
expect_stdout_contains "Initialised an empty lake in $WORK/deep/er/b/.mlake"
[ -d deep/er/b/.mlake/objects ] || fail "no deep/er/b/.mlake/objects"
expect_no_file .mlake

check "init DIR of an existing folder keeps what is in it"
mkdir c
echo keep >c/file.txt
expect_success mlake init c
[ "$(cat c/file.txt)" = keep ] || fail "init changed c/file.txt"
[ -d c/.mlake ] || fail "no c/.mlake"

check "init --json reports the lake, the root and the user"
expect_success mlake --json init j
expect_json 'd["lake"]' "$WORK/j/.mlake"
expect_json 'd["root"]' "$WORK/j"
expect_json 'd["user"]["name"]' "Test User"
expect_json 'd["user"]["email"]' "test@example.com"

check "init -q prints nothing"
expect_success mlake -q init quiet
expect_stdout_empty

# --- commands outside a lake ---------------------------------------------------
mkdir -p "$TEST_ROOT/outside"
cd "$TEST_ROOT/outside"
echo x >f.txt
for cmd in "status" "log" "list" "fsck" "gc" "reindex" "checkout" \
  "show f.txt" "add -m msg f.txt" "annotate -m msg --owner me f.txt" \
  "status --json"; do
  check "'mlake $cmd' outside a lake exits 10"
  # shellcheck disable=SC2086
  expect_failure 10 mlake $cmd
  expect_one_error_line
  expect_stderr_contains "not inside a lake"
done
expect_no_file .mlake
expect_no_file mlake.lock

# --- the lake is found from a subfolder, and with -C ---------------------------
check "a command in a subfolder finds the lake above"
mkdir -p "$WORK/a/sub/deeper"
cd "$WORK/a/sub/deeper"
expect_success mlake status
expect_stdout_contains "clean"

check "-C DIR runs in DIR"
cd "$TEST_ROOT/outside"
expect_success mlake -C "$WORK/a" status
expect_stdout_contains "clean"
cp "$TESTDATA/iris.csv" "$WORK/a/sub/iris.csv"
expect_success mlake -C "$WORK/a/sub" add -m "iris through -C" iris.csv
expect_stdout_contains "added    sub/iris.csv"
[ "$(lock_value sub/iris.csv artifact "$WORK/a/mlake.lock")" = sub/iris.csv ] ||
  fail "-C add did not record sub/iris.csv in $WORK/a/mlake.lock"
expect_no_file mlake.lock

check "-C with a relative path"
cd "$WORK"
expect_success mlake -C a/sub --json status
expect_json 'd["tracked"]' 1

check "-C of a missing folder exits 2"
expect_failure 2 mlake -C "$WORK/no/such/dir" status
expect_one_error_line
expect_stderr_contains "no/such/dir"

check "init with -C"
expect_success mlake -C "$TEST_ROOT/outside" init
[ -d "$TEST_ROOT/outside/.mlake" ] || fail "-C init made no lake in outside/"
expect_no_file "$WORK/.mlake"

check "global options after the command: status --json"
cd "$WORK/a"
expect_success mlake status --json
expect_json 'd["clean"]' true

# --- identity -------------------------------------------------------------------
check "identity from git's global config when MLAKE_USER_* are unset"
cat >"$HOME/.gitconfig" <<'EOF'
[user]
	name = Git Person
	email = git.person@example.org
EOF
cd "$WORK"
(
  unset MLAKE_USER_NAME MLAKE_USER_EMAIL
  expect_success mlake init g
  expect_stdout_contains "Git Person <git.person@example.org>"
  grep -qE '^  name: Git Person$' g/.mlake/config.yaml || fail "config: no git user.name"
  grep -qE '^  email: git.person@example.org$' g/.mlake/config.yaml ||
    fail "config: no git user.email"

  check "nodes name the config's user when MLAKE_USER_* are unset"
  cd g
  echo one >one.txt
  expect_success mlake add -m "by the config's user" one.txt
  expect_success mlake --json log -n 1
  expect_json 'd[0]["user"]["name"]' "Git Person"
  expect_json 'd[0]["user"]["email"]' "git.person@example.org"
) || exit 1

check "MLAKE_USER_NAME/EMAIL override the config for new nodes"
cd "$WORK/g"
echo two >two.txt
MLAKE_USER_NAME="Env Person" MLAKE_USER_EMAIL="env@example.net" \
  expect_success mlake add -m "by the environment's user" two.txt
expect_success mlake --json log -n 1
expect_json 'd[0]["user"]["name"]' "Env Person"
expect_json 'd[0]["user"]["email"]' "env@example.net"
expect_json 'd[0]["message"]' "by the environment's user"

check "identity from the repository's git config beats the global one"
cd "$WORK"
git init -q repo
git -C repo config user.name "Repo Person"
git -C repo config user.email "repo@example.org"
(
  unset MLAKE_USER_NAME MLAKE_USER_EMAIL
  expect_success mlake init repo
  grep -qE '^  name: Repo Person$' repo/.mlake/config.yaml || fail "config: no repo user.name"
  grep -qE '^  email: repo@example.org$' repo/.mlake/config.yaml ||
    fail "config: no repo user.email"
) || exit 1

check "only MLAKE_USER_NAME set: the email comes from git"
(
  unset MLAKE_USER_EMAIL
  MLAKE_USER_NAME="Half Env" expect_success mlake init half
  grep -qE '^  name: Half Env$' half/.mlake/config.yaml || fail "config: no env user.name"
  grep -qE '^  email: git.person@example.org$' half/.mlake/config.yaml ||
    fail "config: no git user.email"
) || exit 1

check "a config.yaml without a user: nodes name git's user"
cd "$WORK/g"
printf 'version: 1\nlink: copy\n' >.mlake/config.yaml
echo three >three.txt
(
  unset MLAKE_USER_NAME MLAKE_USER_EMAIL
  expect_success mlake add -m "by git's user" three.txt
  expect_success mlake --json log -n 1
  expect_json 'd[0]["user"]["name"]' "Git Person"
  expect_json 'd[0]["user"]["email"]' "git.person@example.org"
) || exit 1

# --- malformed .mlake/config.yaml --------------------------------------------------
cd "$WORK/a"
good_config=$(cat .mlake/config.yaml)
echo data >cfg.txt

# bad_config TEXT LINE WORD: every command refuses the file with exit 2 and
# one error line naming the file, the line and WORD; nothing changes.
bad_config() {
  local text=$1 line=$2 word=$3 cmd
  printf '%s' "$text" >.mlake/config.yaml
  snapshot_lake "$TEST_ROOT/snap-config"
  for cmd in "status" "log" "add -m msg cfg.txt" "fsck"; do
    check "config.yaml with $word: 'mlake $cmd' exits 2 naming file and line $line"
    # shellcheck disable=SC2086
    expect_failure 2 mlake $cmd
    expect_one_error_line
    expect_stderr_contains "$WORK/a/.mlake/config.yaml"
    expect_stderr_contains "line $line"
    expect_stderr_contains "$word"
    expect_lake_unchanged "$TEST_ROOT/snap-config"
  done
}

bad_config $'version: 1\nlink: copy: x\nuser:\n  name: a\n  email: b\n' 2 "cannot read"
bad_config $'version: 1\nuser:\n  name: a\n  email: b\nlink: copy\ncolour: blue\n' 6 "'colour'"
bad_config $'version: 1\nuser:\n  name: a\n  nick: b\n' 4 "'user.nick'"
bad_config $'version: 1\nuser:\n  name: a\n  email: b\nlink: teleport\n' 5 "'teleport'"
bad_config $'version: 1\nlink: copy\nuser:\n  name: a\n  email: b\nlink: hardlink\n' 6 "duplicate key 'link'"
bad_config $'version: 1\nuser:\n  name: a\n  name: b\n' 4 "duplicate key 'user.name'"

check "with the config repaired the lake works again"
printf '%s\n' "$good_config" >.mlake/config.yaml
expect_success mlake add -m "after the repair" cfg.txt
expect_success mlake fsck

expect_hints_name_real_commands
pass
