#!/bin/bash
# mlake reproduce re-runs a recorded run with its recorded inputs and code in
# a scratch folder and compares the outputs: a deterministic script
# reproduces; one whose output depends on chance, or on the environment,
# does not, and the output that differs is named.
. ./lib.sh

new_lake
mkdir -p data
cp "$TESTDATA/iris.csv" data/raw.csv
cat >transform.py <<'EOF'
import csv, json, sys
with open(sys.argv[1], newline="") as f:
    rows = list(csv.DictReader(f))
with open(sys.argv[2], "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["species", "petal_area"])
    for r in rows:
        w.writerow([r["species"], round(float(r["petal_length"]) * float(r["petal_width"]), 3)])
with open(sys.argv[3], "w") as f:
    json.dump({"rows": len(rows)}, f)
EOF
expect_success mlake add -m "raw data" data/raw.csv
raw1=$(sha256_of data/raw.csv)
expect_success mlake --json run -m "petal areas" -i data/raw.csv -o data/areas.csv -o data/summary.json \
  -- "$PYTHON" transform.py data/raw.csv data/areas.csv data/summary.json
run=$(json_value 'd["node"]')
areas1=$(sha256_of data/areas.csv)
expect_eq "$(head -2 data/areas.csv | tr '\n' ' ')" "species,petal_area setosa,0.28 " "first rows of data/areas.csv"

export TMPDIR=$TEST_ROOT/tmp
mkdir -p "$TMPDIR"
cp -a . "$TEST_ROOT/workspace-before"
snapshot_lake "$TEST_ROOT/snap"

# --- a deterministic run -----------------------------------------------------------------
check "a deterministic run reproduces: --check exits 0"
expect_success mlake reproduce data/areas.csv --check
expect_stdout_empty
expect_stderr_contains "same      data/areas.csv (data/areas.csv)"
expect_stderr_contains "same      data/summary.json (data/summary.json)"
expect_eq "$(tail -1 "$ERR")" "reproduced: run ${run:0:10}" "last line of stderr"

check "--json says which outputs are the same"
expect_success mlake --json reproduce data/areas.csv@1
expect_json 'd["node"]' "$run"
expect_json 'd["reproduced"]' true
expect_json 'd["exit_code"]' 0
expect_json 'd["recorded_exit_code"]' 0
expect_json 'd["workspace"]' null
expect_json '[(o["artifact"], o["same"], o["recorded"] == o["reproduced"]) for o in d["outputs"]]' \
  '[["data/areas.csv",true,true],["data/summary.json",true,true]]'
expect_json 'd["outputs"][0]["recorded"]' "$areas1"

check "the run's node id works as well"
expect_success mlake reproduce "${run:0:12}" --check

check "reproduce only reads: the lake and the workspace are as they were, no scratch left"
expect_lake_unchanged "$TEST_ROOT/snap"
expect_same_tree "$TEST_ROOT/workspace-before" .
expect_eq "$(ls -A "$TMPDIR")" "" "what is left in TMPDIR"

check "the recorded inputs and code are used, not the workspace's"
echo "9.9,9.9,9.9,9.9,virginica" >>data/raw.csv
printf 'import sys\nopen(sys.argv[2], "w").write("broken")\n' >transform.py
expect_success mlake reproduce data/areas.csv --check
expect_stderr_contains "reproduced: run ${run:0:10}"
expect_success mlake add -m "raw data v2" data/raw.csv
expect_success mlake reproduce data/areas.csv --check
expect_eq "$(head -1 transform.py)" "import sys" "the workspace's script"
cp "$TEST_ROOT/workspace-before/transform.py" transform.py

check "--to keeps the scratch workspace: recorded inputs, code and new outputs"
expect_success mlake --json reproduce data/areas.csv --to "$TEST_ROOT/kept"
expect_json 'd["workspace"]' "$TEST_ROOT/kept"
expect_json 'd["reproduced"]' true
expect_eq "$(sha256_of "$TEST_ROOT/kept/data/raw.csv")" "$raw1" "the input in the scratch workspace"
expect_same_file "$TEST_ROOT/workspace-before/transform.py" "$TEST_ROOT/kept/transform.py"
expect_same_file "$TEST_ROOT/workspace-before/data/areas.csv" "$TEST_ROOT/kept/data/areas.csv"
expect_success mlake reproduce data/areas.csv --to "$TEST_ROOT/kept2"
expect_stderr_contains "reproduced: run ${run:0:10} in $TEST_ROOT/kept2"

check "--to a folder that is not empty exits 2"
expect_failure 2 mlake reproduce data/areas.csv --to "$TEST_ROOT/kept"
expect_one_error_line
expect_stderr_contains "not empty"

# --- runs that do not reproduce --------------------------------------------------------------
check "a run that depends on chance is not reproduced: --check exits 1 and names the output"
cat >noisy.py <<'EOF'
import random, sys
open(sys.argv[1], "w").write("%d\n" % random.SystemRandom().randrange(10 ** 12))
open(sys.argv[2], "w").write("fixed\n")
EOF
expect_success mlake --json run -m "noisy" -o out/noise.txt -o out/fixed.txt \
  -- "$PYTHON" noisy.py out/noise.txt out/fixed.txt
noisy=$(json_value 'd["node"]')
noise1=$(sha256_of out/noise.txt)
expect_failure 1 mlake reproduce out/fixed.txt --check
expect_stdout_empty
expect_stderr_contains "differs   out/noise.txt (out/noise.txt): recorded ${noise1:0:10}, now "
expect_stderr_contains "same      out/fixed.txt (out/fixed.txt)"
expect_eq "$(tail -1 "$ERR")" "NOT reproduced: run ${noisy:0:10}" "last line of stderr"
expect_stderr_not_contains "differs   out/fixed.txt"

check "without --check it is reported but exits 0"
expect_success mlake reproduce out/noise.txt
expect_stderr_contains "NOT reproduced: run ${noisy:0:10}"
expect_success mlake --json reproduce out/noise.txt
expect_json 'd["reproduced"]' false
expect_json '[(o["artifact"], o["same"]) for o in d["outputs"]]' '[["out/noise.txt",false],["out/fixed.txt",true]]'
expect_json 'd["outputs"][0]["recorded"]' "$noise1"
expect_json 'd["outputs"][0]["reproduced"] not in (None, d["outputs"][0]["recorded"])' true
expect_eq "$(sha256_of out/noise.txt)" "$noise1" "the workspace's out/noise.txt"

check "a run whose output depends on the environment"
LAST_CMD="MODE=a mlake --json run -m mode -o mode.txt -- sh -c ..."
MODE=a "$MLAKE" --json run -m "mode" -o mode.txt -- sh -c 'echo "$MODE" >mode.txt' >"$OUT" 2>"$ERR" </dev/null
RC=$?
expect_eq "$RC" 0 "exit code of the run"
LAST_CMD="MODE=a mlake reproduce mode.txt --check"
MODE=a "$MLAKE" reproduce mode.txt --check >"$OUT" 2>"$ERR" </dev/null
RC=$?
expect_eq "$RC" 0 "exit code of the reproduction with the same MODE"
LAST_CMD="MODE=b mlake reproduce mode.txt --check"
MODE=b "$MLAKE" reproduce mode.txt --check >"$OUT" 2>"$ERR" </dev/null
RC=$?
expect_eq "$RC" 1 "exit code of the reproduction with another MODE"
expect_stderr_contains "differs   mode.txt (mode.txt)"

check "an output the command no longer writes is missing, and a new exit code is named"
LAST_CMD="MODE=a mlake run -m gate -o gated.txt -- sh -c ..."
MODE=a "$MLAKE" run -m "gate" -o gated.txt -- sh -c '[ "$MODE" = a ] && echo ok >gated.txt' >"$OUT" 2>"$ERR" </dev/null
RC=$?
expect_eq "$RC" 0 "exit code of the run"
LAST_CMD="MODE=b mlake reproduce gated.txt --check"
MODE=b "$MLAKE" reproduce gated.txt --check >"$OUT" 2>"$ERR" </dev/null
RC=$?
expect_eq "$RC" 1 "exit code of the reproduction"
expect_stderr_contains "missing   gated.txt (gated.txt)"
expect_stderr_contains "the command exited 1, it exited 0 when recorded"
expect_stderr_contains "NOT reproduced"

check "a failed run reproduces when it fails the same way"
expect_failure 3 mlake --json run -m "fails" -o never.txt -- sh -c 'exit 3'
expect_success mlake --json reproduce "$(json_value 'd["node"]')" --check
expect_json 'd["exit_code"]' 3
expect_json 'd["recorded_exit_code"]' 3
expect_json 'd["outputs"]' '[]'

check "a run of an executable named with --code"
printf '#!/bin/sh\necho made >made.txt\n' >make.sh
chmod +x make.sh
expect_success mlake run -m "an executable" --code make.sh -o made.txt -- ./make.sh
# The code file is put into the scratch folder with its executable bit.
expect_success mlake reproduce made.txt --check
expect_success mlake --json show made.txt@1
expect_json '[(c["path"], c["exec"]) for c in d["how"]["code"]["files"]]' '[["make.sh",true]]'

check "the --params file is put back: a command that reads it reproduces"
printf 'greeting: hello\n' >params.yaml
expect_success mlake run -m "reads its params" --params params.yaml -o greeting.txt -- sh -c 'cat params.yaml >greeting.txt'
mv params.yaml "$TEST_ROOT/params-away.yaml"
expect_success mlake reproduce greeting.txt --check
mv "$TEST_ROOT/params-away.yaml" params.yaml

check "the lake is unchanged by the reproductions, and no scratch folder is left"
snapshot_lake "$TEST_ROOT/snap"
expect_success mlake reproduce out/noise.txt
expect_success mlake reproduce data/areas.csv
expect_lake_unchanged "$TEST_ROOT/snap"
expect_eq "$(ls -A "$TMPDIR")" "" "what is left in TMPDIR"

# --- what cannot be reproduced -----------------------------------------------------------------
check "versions not made by a run exit 2"
expect_failure 2 mlake reproduce data/raw.csv@1
expect_one_error_line
expect_stderr_contains "'add'"
printf 'a,b\n1,x\n2,y\n' >"$TEST_ROOT/small.csv"
expect_success mlake ingest "$TEST_ROOT/small.csv" --as data/small.csv -m "ingested"
expect_failure 2 mlake reproduce data/small.csv
expect_one_error_line
expect_stderr_contains "'ingest'"
expect_success mlake split data/small.csv --train 0.5 --test 0.5 -m "split"
expect_failure 2 mlake reproduce data/small.train.csv
expect_one_error_line
expect_stderr_contains "'split'"

check "unknown references exit 3"
expect_failure 3 mlake reproduce no-such-thing
expect_one_error_line
expect_failure 3 mlake reproduce data/areas.csv@7
expect_one_error_line
expect_failure 2 mlake reproduce
expect_one_error_line

check "the lake is sound"
expect_success mlake fsck
expect_stdout_contains "no faults"

expect_hints_name_real_commands
pass
