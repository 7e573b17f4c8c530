#!/bin/bash
# The governance walk-through, end to end, as a team would live it: ingest
# raw data, process it, split it, train two models with different params,
# evaluate them, find the project by its title, compare the models, approve,
# promote one to production under a policy, audit it, write its card, watch
# its metrics degrade, then erase the raw data (a right-to-erasure request)
# and see the taint everywhere downstream, also in a clone.
. ./lib.sh

lake=$PWD
new_lake
git init -q . && git config user.name T && git config user.email t@example.org

# Real code: a cleaning step, a threshold "model" trained and evaluated on
# the data, each writing what it measured.
cat >process.py <<'EOF2'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
keep = [r for r in rows if r["glucose"] != ""]
with open(sys.argv[2], "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
    w.writeheader()
    w.writerows(keep)
EOF2
cat >train.py <<'EOF2'
import csv, json, sys
data, out, threshold = sys.argv[1], sys.argv[2], float(sys.argv[3])
rows = list(csv.DictReader(open(data)))
right = sum((float(r["glucose"]) >= threshold) == (r["outcome"] == "1") for r in rows)
json.dump({"feature": "glucose", "threshold": threshold}, open(out, "w"))
json.dump({"accuracy": round(right / len(rows), 4)}, open("metrics.json", "w"))
EOF2
cat >evaluate.py <<'EOF2'
import csv, json, sys
model = json.load(open(sys.argv[1]))
rows = list(csv.DictReader(open(sys.argv[2])))
right = sum((float(r[model["feature"]]) >= model["threshold"]) == (r["outcome"] == "1") for r in rows)
json.dump({"accuracy": round(right / len(rows), 4)}, open("eval.json", "w"))
EOF2
printf 'metrics.json\neval.json\n' >.gitignore
# mlake keeps .gitignore and mlake.lock up to date; the team commits them
# before each run, so that every run ran committed code.
commit() { git add -A && git commit -qm "$1" >/dev/null; }
commit "the code"
"$PYTHON" -S - <<'EOF2'
import random
random.seed(4)
with open("export.csv", "w") as f:
    f.write("patient,age,glucose,bmi,outcome\n")
    for i in range(240):
        outcome = random.random() < 0.35
        glucose = "" if i % 23 == 0 else str(int(random.gauss(150 if outcome else 110, 18)))
        f.write(f"p{i:03d},{random.randint(21, 80)},{glucose},{random.uniform(19, 42):.1f},{int(outcome)}\n")
EOF2
mv export.csv "$TEST_ROOT/export.csv"

check "ingest the raw export, with who owns it and how sensitive it is"
expect_success mlake --json ingest "$TEST_ROOT/export.csv" --as data/raw.csv --target outcome \
  --owner carol --description "Patient export from the clinic" --security confidential --tag medical \
  -m "export of 2026-11"
expect_success mlake --json show data/raw.csv@1
expect_json '(d["what"]["metafeatures"]["rows"], d["what"]["security"], d["what"]["owner"])' '[240,"confidential","carol"]'

check "process, split, train two models with different params, evaluate both"
study=(--study "Diabetes prediction" --analysis baseline --task outcome)
commit "raw data"
expect_success mlake run --kind process "${study[@]}" -i data/raw.csv -o data/clean.csv --code process.py \
  -m "drop rows without glucose" -- python3 process.py data/raw.csv data/clean.csv
expect_success mlake annotate data/clean.csv --owner carol --description "Rows with a glucose reading" -m "describe"
expect_success mlake --json split data/clean.csv --train 0.7 --test 0.3 --seed 1 -o data/split -m "hold out 30%"
expect_success mlake --json list
train=$(json_value '[a["name"] for a in d if a["name"].endswith("train.csv")][0]')
test=$(json_value '[a["name"] for a in d if a["name"].endswith("test.csv")][0]')
for threshold in 120 140; do
  commit "data for threshold $threshold"
  expect_success mlake --json run --kind train "${study[@]}" --algorithm glucose-threshold -p threshold=$threshold \
    -i "$train" -o models/t$threshold.json -M metrics.json --code train.py \
    -m "threshold $threshold" -- python3 train.py "$train" models/t$threshold.json $threshold
  expect_success mlake annotate models/t$threshold.json --owner dave --description "Flags likely diabetes from glucose" -m "describe"
  commit "model $threshold"
  expect_success mlake run --kind evaluate "${study[@]}" -i models/t$threshold.json -i "$test" -M eval.json --code evaluate.py \
    -m "evaluate threshold $threshold" -- python3 evaluate.py models/t$threshold.json "$test"
done
expect_success mlake --json show models/t120.json@1
a120=$(json_value 'd["how"]["metrics"]["accuracy"]')
expect_success mlake --json show models/t140.json@1
a140=$(json_value 'd["how"]["metrics"]["accuracy"]')
expect_ne "$a120" "$a140"

check "search by the study's title finds its data, both models and the runs"
expect_success mlake --json search Diabetes prediction
got=$(json_value '[r.get("name") or r["kind"] for r in d["results"]]')
for want in data/raw.csv data/clean.csv models/t120.json models/t140.json '"train"' '"evaluate"' '"process"'; do
  case $got in *"${want//\"/}"*) ;; *) fail "search 'Diabetes prediction' misses $want: $got" ;; esac
done
expect_success mlake --json search --kind model --metric "accuracy>=0"
expect_json 'sorted(r["name"] for r in d["results"])' '["models/t120.json","models/t140.json"]'

check "diff the models: same data, different threshold, accuracy delta"
expect_success mlake --json diff models/t120.json@1 models/t140.json@1
expect_json 'd["how"]["params"]' '{"threshold":{"from":120,"to":140}}'
expect_success mlake diff models/t120.json@1 models/t140.json@1
expect_stdout_contains "threshold"
expect_stdout_contains "accuracy"

# The better one goes to production.
best=$("$PYTHON" -S -c "print(120 if float('$a120') >= float('$a140') else 140)")
model=models/t$best.json

check "a policy: owners, approved training data, no restricted data, clean code, no purged data"
cat >.mlake/policy.yaml <<'EOF2'
required_metadata:
  model: [owner, description]
  dataset: [owner]
approved_inputs: true
max_security:
  production: confidential
clean_code: true
no_purged_data: true
EOF2
snapshot_lake before
expect_failure 1 mlake promote "$model@1" --to production -m "best accuracy"
expect_stderr_contains "breaks the policy"
expect_lake_unchanged before
expect_failure 1 mlake --json audit "$model@1" --alias production
expect_json 'sorted(set(v["rule"] for v in d["violations"]))' '["approved_inputs","required_metadata"]'

check "approve the training data, then promote"
expect_success mlake annotate "$train" --owner carol -m "owner"
expect_success mlake annotate "$test" --owner carol -m "owner"
expect_success mlake approve "$train@1" -m "checked the split for leakage"
MLAKE_USER_NAME=Erin MLAKE_USER_EMAIL=erin@example.org expect_success mlake approve "$model@1" -m "reviewed the evaluation"
expect_success mlake --json promote "$model@1" --to production -m "best accuracy on the held-out set"
expect_json 'd["policy_violations"]' '[]'
expect_success mlake --json show "$model@production"
expect_json '(d["version"], d["governance"]["aliases"], d["governance"]["approved_by"], d["taint"]["tainted"])' '[1,["production"],["Erin"],false]'

check "audit production: the whole upstream lineage passes the policy"
expect_success mlake --json audit "$model@production"
expect_json '(d["ok"], d["violations"], d["tainted"], d["checked"]["nodes"] >= 4)' '[true,[],[],true]'

check "the model card tells who, what, how, on which data, and how it did"
expect_success mlake card "$model@production"
card=$OUT
for want in "# Model card: $model@1" "datasets:" "$train@1" "data/raw.csv@1" "glucose-threshold" "threshold" \
  "accuracy" '```mermaid' "Approved: yes, by Erin" "passes" "dave"; do
  grep -qF -- "$want" "$card" || fail "the card lacks '$want'"
done
grep -q "Warning" "$card" && fail "an untainted model's card carries a warning"

check "monitoring: observations that degrade past the threshold are flagged"
expect_success mlake metric log "$model" accuracy="$a140" --time 2026-11-01T00:00:00Z --source prod
expect_success mlake monitor "$model" --exit-code
expect_success mlake metric log "$model" accuracy=0.41 --time 2026-11-20T00:00:00Z --source prod
expect_failure 1 mlake --json monitor "$model" --exit-code
expect_json '(d["degraded"], d["version"]["ref"])' "[true,\"$model@1\"]"

# A colleague's clone, from the shared folder.
expect_success mlake remote add origin "$TEST_ROOT/shared"
expect_success mlake push
cd "$TEST_ROOT"
expect_success mlake clone "$TEST_ROOT/shared" colleague
cd "$TEST_ROOT/colleague"
expect_file data/raw.csv
cd "$lake"

check "purge the raw export: a patient withdrew consent"
snapshot_lake before
expect_success mlake --json purge data/raw.csv@1 --reason "consent withdrawn (ticket 812)" --dry-run
expect_json '(d["node"], d["content"]["objects"], d["affected"])' '[null,1,[]]'
expect_json '"data/clean.csv@1" in [t["ref"] for t in d["tainted"]]' true
expect_json "\"$model@1\" in [t[\"ref\"] for t in d[\"tainted\"]]" true
expect_json '"promote" in [t.get("kind") for t in d["tainted"]]' true
expect_lake_unchanged before
expect_success mlake --json purge data/raw.csv@1 --reason "consent withdrawn (ticket 812)" --remote origin
purge=$(json_value 'd["node"]')
expect_json '(d["erased"]["objects"], d["erased"]["workspace"], d["remote"]["name"], d["remote"]["deleted"])' '[1,["data/raw.csv"],"origin",1]'
expect_no_file data/raw.csv
raw_hash=$(json_value 'd["version"]["hash"]')
[ -e "$TEST_ROOT/shared/objects/${raw_hash:0:2}/${raw_hash:2}" ] && fail "the raw export is still on the remote"

check "the purge is recorded, and the lineage stays"
expect_success mlake --json show "$purge"
expect_json '(d["kind"], d["message"], [i["role"] for i in d["inputs"]])' '["purge","consent withdrawn (ticket 812)",["purged"]]'
expect_success mlake --json show data/raw.csv@1
expect_json '(d["taint"]["purged"], d["what"]["metafeatures"]["rows"], d["why"])' '[true,240,"export of 2026-11"]'
expect_failure 3 mlake checkout data/raw.csv@1
expect_stderr_contains "was erased by Test User"
expect_stderr_contains "consent withdrawn (ticket 812)"
expect_success mlake fsck

check "everything downstream is tainted: data, models, evaluations, the promotion"
for ref in data/clean.csv@1 "$train@1" "$test@1" models/t120.json@1 models/t140.json@1; do
  expect_success mlake --json show "$ref"
  expect_json '(d["taint"]["tainted"], [b["ref"] for b in d["taint"]["by"]])' '[true,["data/raw.csv@1"]]'
done
expect_success mlake show "$model@production"
expect_stdout_contains "Tainted made from data/raw.csv@1"
expect_stdout_contains "consent withdrawn (ticket 812)"
expect_success mlake lineage "$model@production"
expect_stdout_contains "data/raw.csv@1  (file"
expect_stdout_contains "[purged]"
expect_stdout_contains "[tainted]"
expect_success mlake lineage data/raw.csv@1 --down --format json
expect_json 'sorted(set(v["taint"] for v in d["versions"]))' '["purged","tainted"]'
expect_json 'all(s["tainted"] for s in d["steps"] if s["kind"] in ("train", "evaluate", "promote", "approve", "metric"))' true
expect_success mlake card "$model@production"
expect_stdout_contains "Warning: tainted."
expect_stdout_contains "data/raw.csv@1 **(purged)**"

check "the audit fails on the purged data upstream, and promotion is refused"
expect_failure 1 mlake --json audit "$model@production"
expect_json '([v["rule"] for v in d["violations"]], [t["ref"] for t in d["tainted"]])' '[["no_purged_data"],["data/raw.csv@1"]]'
other=models/t$((260 - best)).json
expect_failure 1 mlake promote "$other@1" --to staging -m "try the other"
expect_stderr_contains "was erased by purge ${purge:0:12}"

check "the colleague's clone learns of the purge on pull: content erased, taint shown"
cd "$TEST_ROOT/colleague"
expect_success mlake --json pull
expect_json '(d["erased"]["objects"], d["erased"]["workspace"])' '[1,["data/raw.csv"]]'
expect_no_file data/raw.csv
expect_success mlake show "$model@production"
expect_stdout_contains "Tainted made from data/raw.csv@1"
expect_success mlake fsck
expect_success mlake --json fsck
expect_json '(d["purged"], d["faults"])' '[1,[]]'
expect_success mlake push
[ -e "$TEST_ROOT/shared/objects/${raw_hash:0:2}/${raw_hash:2}" ] && fail "the clone sent the erased export back"

pass
