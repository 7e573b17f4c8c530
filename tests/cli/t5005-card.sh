#!/bin/bash
# card: a model card built from lineage, as Markdown with front matter
# (Hugging Face's form) or JSON; every field it cannot fill says so.
. ./lib.sh

new_lake
git init -q . && git config user.name T && git config user.email t@example.org
printf 'age,glucose,outcome\n50,148,1\n31,85,0\n32,90,0\n' >raw.csv
expect_success mlake add raw.csv -m "Pima data" --target outcome
expect_success mlake run --kind process -i raw.csv -o clean.csv -m "drop nothing" -- cp raw.csv clean.csv
cat >train.sh <<'EOF2'
echo "weights" >model.pkl
echo '{"accuracy": 0.81, "loss": 0.4}' >m.json
EOF2
git add -A && git commit -qm code
expect_success mlake run --kind train --study diabetes-prediction --task outcome --algorithm logreg -p C=1.0 -i clean.csv -o model.pkl -M m.json -m "baseline model" -- sh train.sh
echo '{"auc": 0.88}' >eval.json
expect_success mlake run --kind evaluate -i model.pkl -M eval.json -m "holdout" -- true

check "a bare card says what is not recorded"
expect_success mlake --json card model.pkl@1
expect_json 'sorted(f["field"] for f in d["missing"])' '["governance: approval","what: description","who: owner"]'
expect_json '[(t["ref"], t["direct"], t["metafeatures"]["rows"]) for t in d["training_data"]]' '[["clean.csv@1",true,3],["raw.csv@1",false,3]]'
expect_json '[(e["key"], e["value"], e["kind"]) for e in d["evaluation"]]' '[["accuracy",0.81,"train"],["loss",0.4,"train"],["auc",0.88,"evaluate"]]'
expect_json '(d["training_procedure"]["algorithm"], d["training_procedure"]["params"], d["training_procedure"]["code"]["git"]["dirty"])' '["logreg",{"C":1.0},false]'
expect_json 'd["lineage"]["steps"]' 3

check "the Markdown card: front matter, sections, a Mermaid graph"
expect_success mlake card model.pkl@1
head -1 "$OUT" | grep -qx -- '---' || fail "no front matter"
for want in '- "clean.csv@1"' 'model-index:' '    - type: "auc"' '      value: 0.88' 'sha256: ' '## Model details' \
  '## Intended use' '## Training data' '## Training procedure' '## Evaluation' '```mermaid' 'flowchart LR' '## Governance' \
  '| Owner | *Not recorded* (mlake annotate model.pkl --owner) |' '- Algorithm: logreg' '- Parameters: `C=1.0`' '## Not recorded'; do
  grep -qF -- "$want" "$OUT" || fail "card lacks: $want"
done

check "a documented, approved, promoted model: nothing missing"
expect_success mlake annotate model.pkl --owner carol --description "Predicts diabetes onset; for screening, not diagnosis" -m "document"
expect_success mlake approve model.pkl@1 -m "reviewed"
expect_success mlake promote model.pkl@1 --to production -m "first release"
printf 'required_metadata:\n  dataset: [owner]\n' >.mlake/policy.yaml
expect_success mlake --json card model.pkl@production
expect_json 'd["missing"]' '[]'
expect_json '(d["governance"]["approved"], d["governance"]["aliases"], d["intended_use"]["promotions"][0]["alias"])' '[true,["production"],"production"]'
expect_json '(d["governance"]["policy"]["ok"], [v["message"] for v in d["governance"]["policy"]["violations"]])' \
  '[false,["dataset '"'"'clean.csv'"'"' has no owner","dataset '"'"'raw.csv'"'"' has no owner"]]'
expect_success mlake card model.pkl@production --format md
expect_stdout_contains "Predicts diabetes onset; for screening, not diagnosis"
expect_stdout_contains "- Policy .mlake/policy.yaml: **broken**"
expect_stdout_not_contains "## Not recorded"

check "bad input"
expect_failure 2 mlake card model.pkl --format pdf
expect_failure 3 mlake card nothing@1
expect_failure 3 mlake card model.pkl@7

pass
