#!/bin/bash
# mlake run records what a command read and wrote, and how: its code, git
# state, params, metrics, environment and exit code; the command's streams,
# environment and exit code pass through.
. ./lib.sh

py=$(basename "$PYTHON")
new_lake
cp "$TESTDATA/iris.csv" iris.csv
expect_success mlake add -m "the raw data" iris.csv
iris_hash=$(sha256_of iris.csv)
iris_node=$(lock_value iris.csv node)

cat >upper.py <<'EOF'
import json, os, sys
with open(sys.argv[1]) as f, open(sys.argv[2], "w") as g:
    g.write(f.read().upper())
with open(os.environ["ENV_OUT"], "w") as f:
    json.dump({"run_id": os.environ.get("MLAKE_RUN_ID"),
               "dir": os.environ.get("MLAKE_DIR")}, f)
with open("metrics.json", "w") as f:
    json.dump({"rows": 30, "quality": {"score": 0.75}}, f)
EOF
cat >params.yaml <<'EOF'
model:
  depth: 3
  name: rf
features: [petal_length, petal_width]
lr: 0.1
label: "42"
empty:
EOF
upper_hash=$(tr a-z A-Z <iris.csv | sha256sum | cut -d' ' -f1)
export ENV_OUT=$TEST_ROOT/env.json

# --- what a run records ------------------------------------------------------
check "a run versions its output and reports it with --json"
expect_success mlake --json run -m "upper-case the data" -i iris.csv \
  -o out/upper.csv --params params.yaml -p lr=0.2 -p seed=007 -M metrics.json \
  -- "$PYTHON" upper.py iris.csv out/upper.csv
expect_json 'd["exit_code"]' 0
expect_json 'd["inputs_node"]' null
expect_json 'd["outputs"]' "[{\"artifact\":\"out/upper.csv\",\"hash\":\"$upper_hash\",\"path\":\"out/upper.csv\",\"version\":1}]"
expect_json 'd["metrics"]' '{"quality.score":0.75,"rows":30}'
expect_json 'len(d["run_id"]) == 32 and int(d["run_id"], 16) >= 0' true
run1=$(json_value 'd["node"]')
run_id=$(json_value 'd["run_id"]')
expect_eq "$(sha256_of out/upper.csv)" "$upper_hash" "hash of out/upper.csv"
expect_eq "$(lock_value out/upper.csv node)" "$run1" "node of out/upper.csv in mlake.lock"
expect_eq "$(lock_value out/upper.csv hash)" "$upper_hash" "hash of out/upper.csv in mlake.lock"
expect_file "$(object_path "$upper_hash")"

check "the command got MLAKE_RUN_ID and MLAKE_DIR"
expect_eq "$(json_value 'd["run_id"]' "$ENV_OUT")" "$run_id" "MLAKE_RUN_ID"
expect_eq "$(json_value 'd["dir"]' "$ENV_OUT")" "$(pwd -P)/.mlake" "MLAKE_DIR"

check "show NODE has the inputs, outputs, params, metrics and command"
expect_success mlake --json show "$run1"
expect_json 'd["kind"]' process
expect_json 'd["message"]' "upper-case the data"
expect_json '[(i["artifact"], i["hash"]) for i in d["inputs"]]' "[[\"iris.csv\",\"$iris_hash\"]]"
expect_json '[(o["artifact"], o["version"], o["hash"]) for o in d["outputs"]]' "[[\"out/upper.csv\",1,\"$upper_hash\"]]"
expect_json 'd["record"]["inputs"][0]["node"]' "$iris_node"
expect_json 'd["record"]["run_id"]' "$run_id"
expect_json 'd["record"]["exit_code"]' 0
expect_json 'd["record"]["command"]' "[\"$PYTHON\",\"upper.py\",\"iris.csv\",\"out/upper.csv\"]"
expect_json 'd["record"]["cwd"]' .
expect_json 'd["record"]["params"]' \
  '{"empty":null,"features.0":"petal_length","features.1":"petal_width","label":"42","lr":0.2,"model.depth":3,"model.name":"rf","seed":7}'
expect_json 'd["record"]["metrics"]' '{"quality.score":0.75,"rows":30}'
expect_json 'd["record"]["time"]["start"] <= d["record"]["time"]["end"]' true
expect_json 'd["user"]["email"]' test@example.com

check "the input is the version the workspace held"
expect_success mlake --json show iris.csv@1
expect_json 'd["node"]' "$iris_node"
expect_json 'd["hash"]' "$iris_hash"

check "the script and the params file are snapshotted as code, and the machine is recorded"
expect_success mlake --json show "$run1"
expect_json '[(c["path"], c["role"], c["hash"], c["size"]) for c in d["record"]["code"]["files"]]' \
  "[[\"upper.py\",\"code\",\"$(sha256_of upper.py)\",$(stat -c %s upper.py)],[\"params.yaml\",\"params\",\"$(sha256_of params.yaml)\",$(stat -c %s params.yaml)]]"
expect_same_file params.yaml "$(object_path "$(sha256_of params.yaml)")"
expect_json '"git" in d["record"]["code"]' false
expect_json 'd["record"]["env"]["interpreter"]["name"]' "$py"
expect_json 'd["record"]["env"]["interpreter"]["version"]' "$("$PYTHON" --version 2>&1 | head -1)"
expect_json 'd["record"]["env"]["mlake"]' "$(mlake --version | awk '{ print $2 }')"
expect_json 'd["record"]["env"]["cpu"]["count"] >= 1' true
expect_json 'd["record"]["env"]["host"]' "$(uname -n)"
expect_file "$(object_path "$(sha256_of upper.py)")"
expect_same_file upper.py "$(object_path "$(sha256_of upper.py)")"

check "show OUTPUT@1 says how it was made"
expect_success mlake --json show out/upper.csv@1
expect_json 'd["node"]' "$run1"
expect_json 'd["why"]' "upper-case the data"
expect_json 'd["how"]["kind"]' process
expect_json 'd["how"]["node"]' "$run1"
expect_json 'd["how"]["params"]["model.depth"]' 3
expect_json 'd["how"]["params"]["lr"]' 0.2
expect_json 'd["how"]["metrics"]["quality.score"]' 0.75
expect_json '[i["hash"] for i in d["how"]["inputs"]]' "[\"$iris_hash\"]"
expect_json 'd["what"]["metafeatures"]["rows"]' 30
expect_json 'd["what"]["kind"]' dataset
expect_success mlake show out/upper.csv@1
expect_stdout_contains "How    process, node ${run1:0:10}"
expect_stdout_contains "params empty=null, features.0=petal_length, features.1=petal_width, label=42, lr=0.2, model.depth=3, model.name=rf, seed=7"
expect_stdout_contains "metrics quality.score=0.75, rows=30"
expect_success mlake status --exit-code

check "-p values are typed, and only the first = separates"
printf 'a: 1\n' >small.yaml
expect_success mlake --json run -m "typed params" --params small.yaml -p a=x \
  -p i=-3 -p n=1e-3 -p t=true -p f=false -p h=0x10 -p s=nan -p expr=a=b -- true
expect_success mlake --json show "$(json_value 'd["node"]')"
expect_json 'd["record"]["params"]' '{"a":"x","expr":"a=b","f":false,"h":"0x10","i":-3,"n":0.001,"s":"nan","t":true}'

check "metrics from YAML and JSON files, the later file winning"
printf 'acc: 0.5\nloss: 1\nper_class:\n  setosa: 1.0\n' >m1.yaml
printf '{"acc": 0.875, "notes": "fine"}\n' >m2.json
expect_success mlake --json run -m "two metrics files" -M m1.yaml -M m2.json -- true
expect_json 'd["metrics"]' '{"acc":0.875,"loss":1,"notes":"fine","per_class.setosa":1.0}'

# --- streams and exit codes ---------------------------------------------------------
check "stdout and stderr are the command's; mlake's report comes last on stderr"
expect_success mlake run -m "talk" -o talk.txt -- sh -c 'echo to-stdout; echo to-stderr >&2; echo x >talk.txt'
expect_stdout "to-stdout"
expect_eq "$(sed -n 1p "$ERR")" "to-stderr" "first line of stderr"
grep -qE '^mlake: recorded process run [0-9a-f]{10} \(exit 0\): talk\.txt@1$' <(sed -n 2p "$ERR") ||
  fail "the second line of stderr is not the report"
expect_success mlake -q run -m "quiet" -- sh -c 'echo still-here'
expect_stdout "still-here"
expect_stderr_empty

check "with --json, the command's stdout comes first, then the report"
expect_success mlake --json run -m "talk json" -- sh -c 'echo before-json'
expect_eq "$(sed -n 1p "$OUT")" "before-json" "first line of stdout"
tail -n +2 "$OUT" >"$TEST_ROOT/report.json"
expect_eq "$(json_value 'd["exit_code"]' "$TEST_ROOT/report.json")" 0 "exit_code in the report"

check "stdin passes through to the command"
LAST_CMD="printf 'line from stdin' | mlake run -m stdin -o from-stdin.txt -- sh -c 'cat >from-stdin.txt'"
printf 'line from stdin\n' | "$MLAKE" run -m "stdin" -o from-stdin.txt -- sh -c 'cat >from-stdin.txt' >"$OUT" 2>"$ERR"
RC=$?
expect_eq "$RC" 0 "exit code"
expect_eq "$(cat from-stdin.txt)" "line from stdin" "what the command read"
expect_success mlake --json show from-stdin.txt@1
expect_json 'd["what"]["size"]' 16

n_before=$(ls .mlake/nodes | wc -l)
check "the command's exit code is mlake's; the failure is recorded without outputs"
expect_failure 7 mlake --json run -m "fails" -o failed.txt -M metrics.json \
  -- sh -c 'echo partial >failed.txt; exit 7'
expect_json 'd["exit_code"]' 7
expect_json 'd["outputs"]' '[]'
expect_json 'd["metrics"]' '{}'
failed=$(json_value 'd["node"]')
expect_success mlake --json show "$failed"
expect_json 'd["record"]["exit_code"]' 7
expect_json 'd["outputs"]' '[]'
expect_json 'd["record"].get("metrics", {})' '{}'
expect_eq "$(ls .mlake/nodes | wc -l)" $((n_before + 1)) "number of nodes"
expect_failure 3 mlake show failed.txt
lock_value failed.txt hash >/dev/null && fail "failed.txt is in mlake.lock"
expect_file failed.txt

check "a failed run does not version an output it overwrote"
expect_failure 3 mlake run -m "overwrites and fails" -o out/upper.csv -- sh -c 'echo broken >out/upper.csv; exit 3'
expect_stderr_contains "(exit 3)"
expect_success mlake --json show out/upper.csv
expect_json 'd["versions"]' 1
expect_eq "$(lock_value out/upper.csv hash)" "$upper_hash" "hash of out/upper.csv in mlake.lock"
expect_success mlake checkout --force out/upper.csv
expect_eq "$(sha256_of out/upper.csv)" "$upper_hash" "out/upper.csv after checkout"

check "a command ended by a signal: 128 + N"
expect_failure 143 mlake --json run -m "killed" -- sh -c 'kill -TERM $$'
expect_json 'd["exit_code"]' 143
expect_success mlake --json show "$(json_value 'd["node"]')"
expect_json 'd["record"]["exit_code"]' 143

check "a command that is not found or not executable runs nothing and records nothing"
snapshot_lake "$TEST_ROOT/snap"
expect_failure 3 mlake run -m "typo" -- no-such-command-here
expect_one_error_line
expect_stderr_contains "'no-such-command-here'"
printf 'echo hi\n' >not-executable.sh
expect_failure 2 mlake run -m "not executable" -- ./not-executable.sh
expect_one_error_line
expect_lake_unchanged "$TEST_ROOT/snap"

# --- inputs the lake does not hold yet ---------------------------------------------
check "an untracked input is added first, in an 'Inputs of:' node"
printf 'a,b\n1,2\n' >extra.csv
expect_success mlake --json run -m "reads new data" -i extra.csv -- true
inputs_node=$(json_value 'd["inputs_node"]')
run2=$(json_value 'd["node"]')
expect_ne "$inputs_node" null "inputs_node"
expect_success mlake --json show "$inputs_node"
expect_json 'd["kind"]' add
expect_json 'd["message"]' "Inputs of: reads new data"
expect_json '[(o["artifact"], o["version"]) for o in d["outputs"]]' '[["extra.csv",1]]'
expect_success mlake --json show "$run2"
expect_json 'd["record"]["inputs"][0]["node"]' "$inputs_node"
expect_json 'd["record"]["inputs"][0]["hash"]' "$(sha256_of extra.csv)"

check "a modified input is recorded as a new version before the run"
echo "6.0,3.0,5.0,2.0,virginica" >>iris.csv
expect_success mlake --json run -m "reads changed data" -i iris.csv -- true
inputs_node=$(json_value 'd["inputs_node"]')
expect_success mlake --json show "$(json_value 'd["node"]')"
expect_json 'd["inputs"][0]["hash"]' "$(sha256_of iris.csv)"
expect_json 'd["record"]["inputs"][0]["node"]' "$inputs_node"
expect_success mlake --json show iris.csv@2
expect_json 'd["node"]' "$inputs_node"
expect_success mlake status --exit-code

check "a train run's outputs are models; algorithm and study fields are kept"
expect_success mlake --json run --kind train --algorithm centroid --study s1 \
  --analysis a1 --task t1 -m "train" -o weights.dat -- sh -c 'echo w >weights.dat'
expect_success mlake --json show "$(json_value 'd["node"]')"
expect_json 'd["kind"]' train
expect_json '[d["record"][k] for k in ("algorithm", "study", "analysis", "task")]' '["centroid","s1","a1","t1"]'
expect_success mlake --json show weights.dat
expect_json 'd["kind"]' model

check "a run in a subfolder: paths relative to it, recorded relative to the root"
mkdir -p sub
cd sub
expect_success mlake --json run -m "in sub" -i ../extra.csv -o made.txt -- sh -c 'cat ../extra.csv >made.txt'
expect_json '[(o["artifact"], o["path"]) for o in d["outputs"]]' '[["sub/made.txt","sub/made.txt"]]'
expect_success mlake --json show "$(json_value 'd["node"]')"
expect_json 'd["record"]["cwd"]' sub
expect_json '[i["path"] for i in d["inputs"]]' '["extra.csv"]'
cd ..

# --- code snapshots -----------------------------------------------------------------
check "the script is recorded as it was when the command started"
cat >selfmod.py <<'EOF'
with open(__file__, "a") as f:
    f.write("# rewritten by the run\n")
EOF
cp selfmod.py "$TEST_ROOT/selfmod.orig"
expect_success mlake --json run -m "a script that rewrites itself" -- "$PYTHON" selfmod.py
expect_ne "$(sha256_of selfmod.py)" "$(sha256_of "$TEST_ROOT/selfmod.orig")" "hash of the rewritten script"
expect_success mlake --json show "$(json_value 'd["node"]')"
orig=$(sha256_of "$TEST_ROOT/selfmod.orig")
expect_json '[(c["path"], c["hash"]) for c in d["record"]["code"]["files"]]' "[[\"selfmod.py\",\"$orig\"]]"
expect_same_file "$TEST_ROOT/selfmod.orig" "$(object_path "$orig")"

check "--code names the code of a shell command; -c has no script"
printf '{ print toupper($0) }\n' >up.awk
expect_success mlake --json run -m "awk" --code up.awk -- sh -c 'awk -f up.awk iris.csv >/dev/null'
expect_success mlake --json show "$(json_value 'd["node"]')"
expect_json '[(c["path"], c["hash"]) for c in d["record"]["code"]["files"]]' "[[\"up.awk\",\"$(sha256_of up.awk)\"]]"
expect_file "$(object_path "$(sha256_of up.awk)")"
expect_success mlake --json run -m "inline" -- "$PYTHON" -c 'print()'
expect_success mlake --json show "$(json_value 'd["node"]')"
expect_json 'd["record"]["code"].get("files", [])' '[]'

# --- environment variables ------------------------------------------------------------
check "variables listed in config are recorded; secrets only as <redacted>"
cat >>.mlake/config.yaml <<'EOF'
env:
  - PLAIN_VAR
  - UNSET_VAR
  - MY_API_KEY
  - db_password
  - AUTH_TOKEN
  - Client_Secret
EOF
secret1=sk-live-9f8e7d6c5b4a
secret2=hunter2-pw-31337
secret3=tok-0a1b2c3d4e
secret4=cs-5f6e7d8c9b
LAST_CMD="MY_API_KEY=... mlake --json run -m env -- sh -c '...'"
PLAIN_VAR=plain-value MY_API_KEY=$secret1 db_password=$secret2 AUTH_TOKEN=$secret3 \
  Client_Secret=$secret4 "$MLAKE" --json run -m "env vars" \
  -- sh -c 'printf %s "$MY_API_KEY" >"$ENV_OUT"' >"$OUT" 2>"$ERR" </dev/null
RC=$?
expect_eq "$RC" 0 "exit code"
expect_eq "$(cat "$ENV_OUT")" "$secret1" "the key the command saw"
env_node=$(json_value 'd["node"]')
expect_success mlake --json show "$env_node"
expect_json 'd["record"]["env"]["vars"]' \
  '{"AUTH_TOKEN":"<redacted>","Client_Secret":"<redacted>","MY_API_KEY":"<redacted>","PLAIN_VAR":"plain-value","UNSET_VAR":null,"db_password":"<redacted>"}'
for s in "$secret1" "$secret2" "$secret3" "$secret4"; do
  if grep -rqF -- "$s" .mlake mlake.lock; then
    fail "the secret '$s' is stored under .mlake: $(grep -rlF -- "$s" .mlake mlake.lock)"
  fi
  expect_stdout_not_contains "$s"
done
expect_success mlake --json log
expect_stdout_not_contains "$secret1"

# --- git ------------------------------------------------------------------------------------
check "in a git work tree, the commit, branch and remote are recorded"
cat >"$HOME/.gitconfig" <<'EOF'
[user]
	name = Git Person
	email = git.person@example.org
[init]
	defaultBranch = main
EOF
mkdir "$WORK/gitproj"
cd "$WORK/gitproj"
git init -q .
printf 'x = 1\n' >job.py
git add job.py
git commit -qm "job" || fail "git commit failed"
git remote add origin "https://alice:gitpw-77aa@git.example.org/team/proj.git"
head=$(git rev-parse HEAD)
new_lake
expect_success mlake --json run -m "clean tree" -o result.txt -- sh -c 'echo r >result.txt'
expect_success mlake --json show "$(json_value 'd["node"]')"
expect_json 'd["record"]["code"]["git"]' \
  "{\"branch\":\"main\",\"commit\":\"$head\",\"dirty\":false,\"path\":\".\",\"remote\":\"https://git.example.org/team/proj.git\"}"

check "uncommitted changes make it dirty, with the hash of the diff"
printf 'x = 2\n' >job.py
want_diff=$(git diff HEAD | sha256sum | cut -d' ' -f1)
mkdir -p sub
cd sub
expect_success mlake --json run -m "dirty tree" -- "$PYTHON" ../job.py
cd ..
expect_success mlake --json show "$(json_value 'd["node"]')"
expect_json 'd["record"]["code"]["git"]["dirty"]' true
expect_json 'd["record"]["code"]["git"]["diff"]' "$want_diff"
expect_json 'd["record"]["code"]["git"]["commit"]' "$head"
expect_json 'd["record"]["code"]["git"]["path"]' sub
expect_json '[c["path"] for c in d["record"]["code"]["files"]]' '["job.py"]'
if grep -rqF "gitpw-77aa" .mlake; then
  fail "the git remote's password is stored under .mlake"
fi

check "the lakes are sound"
expect_success mlake fsck
cd "$WORK"
expect_success mlake fsck
expect_stdout_contains "no faults"

expect_hints_name_real_commands
pass
