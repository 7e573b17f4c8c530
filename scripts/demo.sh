#!/usr/bin/env bash
# A short tour of mlake in a throw-away project: ingest raw data, clean it
# with a recorded run, split it, train and evaluate a model, then ask where
# the model came from, reproduce it, govern it (search, approve, audit,
# promote, a model card), share it, and erase its raw data (purge).
# Usage: demo.sh [path/to/mlake]
set -euo pipefail
mlake=${1:-mlake}
mlake=$(command -v "$mlake" || echo "$mlake")
work=$(mktemp -d /tmp/mlake-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"

export MLAKE_USER_NAME="Ada Demo" MLAKE_USER_EMAIL="ada@example.org"
export GIT_AUTHOR_NAME="Ada Demo" GIT_AUTHOR_EMAIL="ada@example.org"
export GIT_COMMITTER_NAME="Ada Demo" GIT_COMMITTER_EMAIL="ada@example.org"

if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold="" plain=""; fi
step() { printf '\n%s$ %s%s\n' "$bold" "$*" "$plain"; "$@"; }

# Raw data from "the plant historian": hourly readings of pumps, with a
# fault label (deterministic, some values missing).
mkdir -p "$work/export"
awk 'BEGIN { srand(7); print "pump,temperature,vibration,pressure,label";
  for (i = 1; i <= 400; i++) {
    fault = (i % 5 == 0)
    t = 60 + 15 * rand() + 20 * fault; v = 0.2 + 0.3 * rand() + 0.5 * fault
    p = (i % 37 == 0) ? "" : sprintf("%.2f", 4 + rand())
    printf "P%02d,%.2f,%.3f,%s,%s\n", i % 12, t, v, p, fault ? "fault" : "ok" } }' \
  > "$work/export/pumps.csv"

mkdir -p project/src && cd project
cat > src/prepare.py <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
with open(sys.argv[2], "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=["temperature", "vibration", "pressure", "label"])
    w.writeheader()
    for r in rows:
        if r["pressure"]:  # drop readings with a missing pressure
            w.writerow({k: r[k] for k in w.fieldnames})
PY
cat > src/train.py <<'PY'
import csv, json, sys
features = ["temperature", "vibration", "pressure"]
rows = list(csv.DictReader(open(sys.argv[1])))
model = {}
for label in sorted({r["label"] for r in rows}):
    mine = [r for r in rows if r["label"] == label]
    model[label] = [sum(float(r[f]) for r in mine) / len(mine) for f in features]
json.dump({"features": features, "centroids": model}, open(sys.argv[2], "w"), indent=1)
json.dump({"classes": len(model), "train_rows": len(rows)}, open("train-metrics.json", "w"))
PY
cat > src/evaluate.py <<'PY'
import csv, json, sys
model = json.load(open(sys.argv[1]))
rows = list(csv.DictReader(open(sys.argv[2])))
def predict(r):
    x = [float(r[f]) for f in model["features"]]
    return min(model["centroids"], key=lambda c: sum((a - b) ** 2 for a, b in zip(x, model["centroids"][c])))
right = sum(predict(r) == r["label"] for r in rows)
json.dump({"accuracy": round(right / len(rows), 4), "test_rows": len(rows)}, open("eval-metrics.json", "w"))
print("accuracy", round(right / len(rows), 4))
PY
git init -q -b main . && git add src && git commit -qm "Pump fault model code"

step "$mlake" init
step "$mlake" ingest "$work/export/pumps.csv" --as data/raw.csv --target label \
  --owner "plant-data@example.org" --description "Hourly pump readings" -m "Export from the plant historian"
step "$mlake" run --kind process -i data/raw.csv -o data/clean.csv -m "Drop readings without a pressure" \
  -- python3 src/prepare.py data/raw.csv data/clean.csv
step "$mlake" split data/clean.csv --train 0.8 --test 0.2 --seed 42 --stratify label -m "Hold out a test set"
step "$mlake" run --kind train -i data/clean.train.csv -o models/pumps.json -M train-metrics.json \
  --algorithm nearest-centroid --study "Pump faults" --task detect -m "Baseline fault detector" \
  -- python3 src/train.py data/clean.train.csv models/pumps.json
step "$mlake" run --kind evaluate -i models/pumps.json -i data/clean.test.csv -M eval-metrics.json \
  --study "Pump faults" --task detect -m "Accuracy on the held-out set" \
  -- python3 src/evaluate.py models/pumps.json data/clean.test.csv
git add mlake.lock .gitignore && git commit -qm "Data and baseline model"

step "$mlake" lineage models/pumps.json
step "$mlake" show data/raw.csv@1
step "$mlake" study show "Pump faults"
step "$mlake" reproduce models/pumps.json --check
step "$mlake" status
step "$mlake" fsck

# Govern it: find the project by its title, approve the data the model was
# trained on, let a policy judge it, promote it, and write its model card.
step "$mlake" search pump faults
cat > .mlake/policy.yaml <<'POLICY'
approved_inputs: true        # a model is trained on approved data only
max_security:
  production: confidential   # nothing restricted behind production
POLICY
step "$mlake" audit models/pumps.json || true   # clean.train.csv is not approved yet
step "$mlake" approve data/clean.train.csv@1 -m "Checked: no test rows leak into it"
step "$mlake" audit models/pumps.json
step "$mlake" promote models/pumps.json@1 --to production -m "First release"
step "$mlake" card models/pumps.json@production

# Share it: push to a team folder (an s3:// URL works the same way), and a
# colleague clones it with its history, lineage and data.
step "$mlake" remote add origin "$work/team-remote"
step "$mlake" push
cd "$work"
step "$mlake" clone "$work/team-remote" colleague
cd colleague
step "$mlake" lineage models/pumps.json --depth 1
step "$mlake" fsck

# Erase it: the plant asks for the raw export to be deleted. The purge
# keeps its lineage, removes its content here and on the team remote, and
# marks everything made from it; the colleague's clone learns of it on
# its next pull.
cd "$work/project"
step "$mlake" purge data/raw.csv@1 --reason "Plant data retention ended" --remote origin
step "$mlake" show models/pumps.json@production
step "$mlake" audit models/pumps.json
cd "$work/colleague"
step "$mlake" pull
step "$mlake" fsck
echo
echo "demo finished: every step above ran in $work (now removed)"
