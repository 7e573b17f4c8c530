#!/bin/bash
# mlake hook install puts a pre-commit hook into the git repository around
# the lake that refuses commits while tracked data is not in the lake or
# mlake.lock does not match it; a foreign hook is kept unless --force.
. ./lib.sh

command -v git >/dev/null 2>&1 || {
  echo "git is not installed: skipped"
  pass
}
export GIT_AUTHOR_NAME="Test User" GIT_AUTHOR_EMAIL=test@example.com
export GIT_COMMITTER_NAME="Test User" GIT_COMMITTER_EMAIL=test@example.com
# The hook finds mlake on PATH.
mkdir -p "$TEST_ROOT/bin"
ln -s "$MLAKE" "$TEST_ROOT/bin/mlake"
export PATH="$TEST_ROOT/bin:$PATH"

expect_success git init -q -b main .
new_lake
mkdir -p data
echo "a,b" >data/x.csv
echo "print('train')" >train.py
expect_success mlake add data/x.csv -m "first data"

check "install writes an executable hook marked as mlake's"
expect_success mlake hook install
expect_stdout_contains "installed the pre-commit hook"
hook=.git/hooks/pre-commit
[ -x "$hook" ] || fail "$hook is not executable"
grep -qF "# mlake pre-commit hook" "$hook" || fail "the hook is not marked as mlake's"
cp "$hook" "$TEST_ROOT/hook"

check "installing again changes nothing"
expect_success mlake hook install
expect_stdout_contains "installed already"
expect_same_file "$hook" "$TEST_ROOT/hook"
expect_success mlake --json hook install
expect_json 'd["action"]' unchanged

check "a clean project commits"
expect_success git add -A
expect_success git commit -q -m "code and data"
expect_success mlake hook run
expect_stderr_empty

check "a tracked file changed but not added: the commit is refused"
echo "c,d" >>data/x.csv
echo "print('train more')" >train.py
expect_failure 1 git commit -q -am "train more"
expect_stderr_contains "mlake: tracked files changed but not added: data/x.csv; run 'mlake add"
expect_stderr_contains "commit refused"
expect_eq "$(git rev-list --count HEAD)" 1 "commits"
expect_failure 1 mlake hook run
expect_stderr_contains "tracked files changed but not added: data/x.csv"

check "after mlake add, mlake.lock must be staged too"
expect_success mlake add data/x.csv -m "more data"
expect_success git add train.py
expect_failure 1 git commit -q -m "train more"
expect_stderr_contains "mlake: mlake.lock has changes that are not staged; run 'git add mlake.lock'"
expect_stderr_not_contains "tracked files changed"

check "git commit -a stages it, and the hook sees the index the commit uses"
expect_success git commit -q -am "train more"
expect_eq "$(git rev-list --count HEAD)" 2 "commits"

check "a deleted tracked file is refused"
rm data/x.csv
expect_failure 1 mlake hook run
expect_stderr_contains "mlake: tracked files deleted: data/x.csv; run 'mlake checkout'"
expect_success mlake checkout
expect_success mlake hook run

check "mlake.lock naming a version the lake does not have is refused"
cp mlake.lock "$TEST_ROOT/lock"
"$PYTHON" -S - <<'PY' || fail "cannot edit mlake.lock"
import re
text = open("mlake.lock").read()
text = re.sub(r"[0-9a-f]{64}", "e" * 64, text, count=1)
open("mlake.lock", "w").write(text)
PY
expect_failure 1 mlake hook run
expect_stderr_contains "mlake: mlake.lock names versions this lake does not have: data/x.csv; run 'mlake pull'"
cp "$TEST_ROOT/lock" mlake.lock
expect_success mlake hook run

check "mlake.lock that is not in git is refused"
expect_success git rm -q --cached mlake.lock
expect_failure 1 mlake hook run
expect_stderr_contains "mlake: mlake.lock is not in git"
expect_success git add mlake.lock
expect_success mlake hook run

check "without mlake on PATH the hook runs the mlake that installed it"
echo "c,d" >>data/x.csv
expect_failure 1 env PATH=/usr/bin:/bin git commit -q -am "no mlake on PATH"
expect_stderr_contains "tracked files changed but not added: data/x.csv"
expect_success mlake checkout --force data/x.csv

check "a foreign hook is not replaced without --force"
printf '#!/bin/sh\necho foreign hook\n' >"$hook"
chmod +x "$hook"
cp "$hook" "$TEST_ROOT/foreign"
expect_failure 2 mlake hook install
expect_one_error_line
expect_stderr_contains "not mlake's"
expect_stderr_contains "--force"
expect_same_file "$hook" "$TEST_ROOT/foreign"
expect_success mlake hook install --force
expect_stdout_contains "replaced the pre-commit hook"
expect_same_file .git/hooks/pre-commit.mlake-backup "$TEST_ROOT/foreign"
expect_same_file "$hook" "$TEST_ROOT/hook"

check "core.hooksPath is respected"
expect_success git config core.hooksPath .githooks
expect_success mlake hook install
expect_file .githooks/pre-commit
expect_same_file .githooks/pre-commit "$TEST_ROOT/hook"
echo "e,f" >>data/x.csv
expect_failure 1 git commit -q --allow-empty -m "through hooksPath"
expect_stderr_contains "tracked files changed but not added: data/x.csv"
expect_success mlake checkout --force data/x.csv
expect_success git config --unset core.hooksPath

check "a lake in a subfolder of the repository"
mkdir -p "$TEST_ROOT/repo/ml"
cd "$TEST_ROOT/repo"
expect_success git init -q -b main .
cd ml
new_lake
echo "1,2" >d.csv
expect_success mlake add d.csv -m "data"
expect_success mlake hook install
cd ..
expect_success git add -A
expect_success git commit -q -m "first"
echo "3,4" >>ml/d.csv
expect_failure 1 git commit -q --allow-empty -m "second"
expect_stderr_contains "tracked files changed but not added: d.csv"
cd "$WORK"

check "bad input"
expect_failure 2 mlake hook
expect_one_error_line
expect_failure 2 mlake hook uninstall
expect_one_error_line
expect_failure 2 mlake hook run --force
expect_one_error_line
mkdir -p "$TEST_ROOT/nogit"
cd "$TEST_ROOT/nogit"
new_lake
expect_failure 2 mlake hook install
expect_one_error_line
expect_stderr_contains "no git repository"
cd "$TEST_ROOT"
expect_failure 10 mlake hook run
cd "$WORK"

expect_hints_name_real_commands
pass
