#!/bin/bash
# mlake run refuses bad input with a clear error and records nothing: no
# node, no new version, the lake exactly as it was. An interrupted run is
# passed on to the command and recorded neither.
. ./lib.sh

new_lake
cp "$TESTDATA/iris.csv" iris.csv
printf 'lr: 0.1\n' >params.yaml
mkdir tracked
echo 1 >tracked/one.txt
expect_success mlake add -m "setup" iris.csv params.yaml tracked
printf 'a,b\n1,2\n' >untracked.csv
snapshot_lake "$TEST_ROOT/snap"
expect_success mlake --json log
cp "$OUT" "$TEST_ROOT/log-before"

# refused CODE CMD...: exits with CODE, one error line (and maybe a hint),
# and the lake, its index and the workspace's untracked files are unchanged.
refused() {
  expect_failure "$@"
  expect_one_error_line
  expect_lake_unchanged "$TEST_ROOT/snap"
  "$MLAKE" --json log >"$TEST_ROOT/log-now" 2>&1
  cmp -s "$TEST_ROOT/log-now" "$TEST_ROOT/log-before" || fail "mlake log changed"
  lock_value untracked.csv hash >/dev/null && fail "untracked.csv was added"
  return 0
}

check "an input that does not exist exits 3, and the command does not run"
refused 3 mlake run -m "x" -i no-such.csv -o ran.txt -- sh -c 'echo ran >ran.txt'
expect_stderr_contains "'no-such.csv'"
expect_no_file ran.txt
check "a missing input next to an untracked one adds neither"
refused 3 mlake run -m "x" -i untracked.csv -i no-such.csv -- true

check "a params file that is not valid YAML exits 2, naming the file and line"
printf 'model:\n  depth: [3, 4\nlr: 0.1\n' >bad.yaml
refused 2 mlake run -m "x" -i untracked.csv --params bad.yaml -o ran.txt -- sh -c 'echo ran >ran.txt'
expect_stderr_contains "bad.yaml"
expect_stderr_contains "line "
expect_no_file ran.txt
check "a params file that is not a mapping exits 2"
printf -- '- 1\n- 2\n' >list.yaml
refused 2 mlake run -m "x" --params list.yaml -- true
expect_stderr_contains "list.yaml"
check "a params file that does not exist exits 3"
refused 3 mlake run -m "x" --params no-such.yaml -- true
expect_stderr_contains "no-such.yaml"

check "a metrics file the command did not write exits 3, and the run is not recorded"
refused 3 mlake run -m "x" -i iris.csv -o made.txt -M metrics.json -- sh -c 'echo made >made.txt'
expect_stderr_contains "'metrics.json'"
expect_file made.txt
rm made.txt
check "a metrics file that does not parse exits 2"
refused 2 mlake run -m "x" -o made.txt -M metrics.json -- sh -c 'echo made >made.txt; echo "{oops" >metrics.json'
expect_stderr_contains "metrics.json"
rm made.txt metrics.json

check "an output the command did not write exits 3, and no other output is versioned"
refused 3 mlake run -m "x" -i iris.csv -o made.txt -o never.txt -- sh -c 'echo made >made.txt'
expect_stderr_contains "'never.txt'"
rm made.txt
check "an output that is a FIFO exits 2"
refused 2 mlake run -m "x" -o pipe -- mkfifo pipe
rm pipe

check "an output inside a tracked folder exits 2 before the command runs"
refused 2 mlake run -m "x" -i untracked.csv -o tracked/two.txt -- sh -c 'echo 2 >tracked/two.txt'
expect_stderr_contains "'tracked/two.txt' is inside the tracked folder 'tracked'"
expect_no_file tracked/two.txt

check "paths outside the project or inside .mlake exit 2"
refused 2 mlake run -m "x" -o ../outside.txt -- true
expect_stderr_contains "'../outside.txt'"
refused 2 mlake run -m "x" -i "$TESTDATA/iris.csv" -- true
refused 2 mlake run -m "x" -o .mlake/x -- true
check "a missing --code file exits 3"
refused 3 mlake run -m "x" --code no-such.sh -- true

check "usage errors exit 2 and run nothing"
refused 2 mlake run -m "x" -p novalue -o ran.txt -- sh -c 'echo ran >ran.txt'
expect_stderr_contains "'novalue'"
refused 2 mlake run -m "x" -p =v -- true
refused 2 mlake run -m "x" --kind deploy -- true
expect_stderr_contains "'deploy'"
refused 2 mlake run -o ran.txt -- sh -c 'echo ran >ran.txt'
refused 2 mlake run -m "  " -- true
refused 2 mlake run -m "x"
expect_no_file ran.txt

check "after all that the lake is sound"
expect_success mlake fsck
expect_stdout_contains "no faults"
expect_success mlake status

check "an untracked input stays recorded by its add node when the run is not"
expect_failure 3 mlake run -m "reads new data" -i untracked.csv -M missing.json -- true
expect_success mlake --json log
expect_json '[(n["kind"], n["message"]) for n in d[:2]]' '[["add","Inputs of: reads new data"],["add","setup"]]'
expect_success mlake fsck
expect_stdout_contains "no faults"
snapshot_lake "$TEST_ROOT/snap"

# --- interruption ------------------------------------------------------------------------
# interrupt SIGNAL SCRIPT ARGS...: start `mlake run ARGS -- sh -c SCRIPT` in
# the background, wait for the command to touch $ready, send SIGNAL to mlake.
ready=$TEST_ROOT/ready
marker=$TEST_ROOT/marker
export ready marker
interrupt() {
  local sig=$1 script=$2 pid
  shift 2
  rm -f "$ready" "$marker"
  LAST_CMD="mlake run $* -- sh -c '$script' (then SIG$sig to mlake)"
  "$MLAKE" run "$@" -- sh -c "$script" >"$OUT" 2>"$ERR" </dev/null &
  pid=$!
  BACKGROUND_PIDS=$pid
  wait_for_file "$ready"
  kill -"$sig" "$pid"
  wait "$pid"
  RC=$?
  BACKGROUND_PIDS=
}
# The commands below trap the signal, write its name to $marker, stop their
# sleep and exit; they touch $ready once the trap is set.
check "SIGINT to mlake reaches the command; mlake exits 130 and records nothing"
interrupt INT "trap 'echo INT >\"\$marker\"; kill \$p; exit 130' INT; sleep 30 & p=\$!; touch \"\$ready\"; wait \$p" \
  -m "interrupted" -i iris.csv -o never.txt
expect_eq "$RC" 130 "exit code of mlake"
expect_eq "$(cat "$marker" 2>/dev/null)" INT "what the command received"
expect_stderr_contains "interrupted"
expect_lake_unchanged "$TEST_ROOT/snap"

check "SIGTERM likewise"
interrupt TERM "trap 'echo TERM >\"\$marker\"; kill \$p; exit 143' TERM; sleep 30 & p=\$!; touch \"\$ready\"; wait \$p" \
  -m "terminated" -o never.txt
expect_eq "$RC" 130 "exit code of mlake"
expect_eq "$(cat "$marker" 2>/dev/null)" TERM "what the command received"
expect_lake_unchanged "$TEST_ROOT/snap"

check "a command that handles SIGINT and succeeds: still not recorded"
interrupt INT "trap 'echo INT >\"\$marker\"' INT; sleep 30 & p=\$!; touch \"\$ready\"; wait \$p; kill \$p; echo finished >late.txt; exit 0" \
  -m "finished anyway" -o late.txt
expect_eq "$RC" 130 "exit code of mlake"
expect_eq "$(cat "$marker" 2>/dev/null)" INT "what the command received"
expect_eq "$(cat late.txt)" finished "what the command wrote"
expect_lake_unchanged "$TEST_ROOT/snap"
lock_value late.txt hash >/dev/null && fail "late.txt is in mlake.lock"

check "the lake is sound after the interruptions, and a run still works"
expect_success mlake fsck
expect_stdout_contains "no faults"
expect_success mlake run -m "fine" -i iris.csv -o late.txt -- sh -c 'echo again >late.txt'
expect_stderr_contains ": late.txt@1"

expect_hints_name_real_commands
pass
