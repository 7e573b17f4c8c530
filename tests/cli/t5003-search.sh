#!/bin/bash
# search: ranked full-text search (SQLite FTS5) over artifacts and nodes,
# with filters by kind, tag, owner, study, params and metrics.
. ./lib.sh

new_lake
printf 'age,glucose,outcome\n50,148,1\n31,85,0\n' >diabetes.csv
expect_success mlake add diabetes.csv -m "Pima Indians diabetes data"
expect_success mlake annotate diabetes.csv --description "Diabète: measurements of Pima Indian women" --owner carol --tag medical -m "describe"
printf 'x\n1\n' >weather.csv
expect_success mlake add weather.csv -m "weather for the other project"
cat >train.sh <<'EOF2'
echo "model $1" >"$2"
printf '{"accuracy": %s}\n' "$3" >m.json
EOF2
expect_success mlake --json run --study diabetes-prediction --task outcome --kind train -i diabetes.csv -o lr.pkl -p lr=0.1 -p optimizer=adam -M m.json -m "logistic regression" -- sh train.sh lr lr.pkl 0.77
lr_run=$(json_value 'd["node"]')
expect_success mlake --json run --study diabetes-prediction --task outcome --kind train -i diabetes.csv -o forest.pkl -p trees=100 -p optimizer=none -M m.json -m "random forest" -- sh train.sh rf forest.pkl 0.81
rf_run=$(json_value 'd["node"]')
expect_success mlake --json run --study weather --kind train -i weather.csv -o w.pkl -p lr=0.1 -M m.json -m "forecast" -- sh train.sh w w.pkl 0.5
names() { json_value '[r.get("name") or r["id"] for r in d["results"]]'; }

check "a project's title finds its datasets, models and runs"
expect_success mlake --json search Diabetes prediction
got=$(names)
for want in diabetes.csv lr.pkl forest.pkl "$lr_run" "$rf_run"; do
  case $got in *"\"$want\""*) ;; *) fail "search 'Diabetes prediction' misses $want: $got" ;; esac
done
case $got in *weather*) fail "search 'Diabetes prediction' found the weather project: $got" ;; esac
expect_success mlake search Diabetes prediction
expect_stdout_contains "datasets"
expect_stdout_contains "models"
expect_stdout_contains "runs and records"
expect_stdout_contains "[diabetes-prediction/outcome]"

check "words are prefixes, case and accents do not matter"
expect_success mlake --json search DIAB
expect_json '"diabetes.csv" in [r.get("name") for r in d["results"]]' true
expect_success mlake --json search diabete
expect_json 'd["results"][0]["name"]' diabetes.csv

check "the best match comes first: a name over a message"
expect_success mlake --json search forest
expect_json '[r.get("name") or r["id"] for r in d["results"]]' "[\"forest.pkl\",\"$rf_run\"]"
expect_json '[r["score"] > 0 for r in d["results"]]' '[true,true]'

check "filters: kind, tag, owner, study"
expect_success mlake --json search --kind model
expect_json 'sorted(r["name"] for r in d["results"])' '["forest.pkl","lr.pkl","w.pkl"]'
expect_success mlake --json search --tag medical
expect_json 'sorted(r.get("name") or r["kind"] for r in d["results"])' '["add","diabetes.csv","train","train"]'
expect_success mlake --json search --owner carol
expect_json '[r["name"] for r in d["results"]]' '["diabetes.csv"]'
expect_success mlake --json search --owner "Test User" --kind train
expect_json 'len(d["results"])' 3
expect_success mlake --json search --study weather --kind dataset
expect_json '[r["name"] for r in d["results"]]' '["weather.csv"]'

check "filters: params and metrics, on runs and on the models they made"
expect_success mlake --json search --param lr=0.1
expect_json 'sorted(r.get("name") or r["kind"] for r in d["results"])' '["lr.pkl","train","train","w.pkl"]'
expect_success mlake --json search --param lr=0.10 --kind model
expect_json 'sorted(r["name"] for r in d["results"])' '["lr.pkl","w.pkl"]'
expect_success mlake --json search --param optimizer=adam --kind model
expect_json '[r["name"] for r in d["results"]]' '["lr.pkl"]'
expect_success mlake --json search --metric 'accuracy>=0.77' --kind model
expect_json 'sorted(r["name"] for r in d["results"])' '["forest.pkl","lr.pkl"]'
expect_success mlake --json search --metric 'accuracy>0.8' --study diabetes-prediction
expect_json 'sorted(r.get("name") or r["id"] for r in d["results"])' "[\"$rf_run\",\"forest.pkl\"]"
expect_success mlake --json search regression --metric 'accuracy<0.5'
expect_json 'd["results"]' '[]'
expect_success mlake search --metric 'accuracy>9'
expect_stderr_contains "nothing found"

check "an evaluation's metrics find the model it evaluated"
printf '{"auc": 0.93}\n' >eval.json
expect_success mlake run --kind evaluate -i forest.pkl -M eval.json -m "holdout" -- true
expect_success mlake --json search --metric 'auc>0.9' --kind model
expect_json '[r["name"] for r in d["results"]]' '["forest.pkl"]'

check "new metadata is found at once"
expect_success mlake annotate weather.csv --description "hourly rainfall" -m "describe"
expect_success mlake --json search rainfall
expect_json '[r["name"] for r in d["results"]]' '["weather.csv"]'

check "bad filters are usage errors; search changes nothing"
snapshot_lake before
expect_failure 2 mlake search --metric 'accuracy'
expect_stderr_contains "is not KEY<op>NUMBER"
expect_failure 2 mlake search --metric 'accuracy>=high'
expect_failure 2 mlake search --metric 'accuracy=>1'
expect_failure 2 mlake search --param lr
expect_failure 2 mlake search '*'
expect_stderr_contains "has no words"
expect_failure 2 mlake search x --limit 0
expect_success mlake search 'AND OR NOT NEAR "quoted" (x)'
expect_lake_unchanged before

check "reindex rebuilds the same answers"
expect_success mlake --json search diabetes
before=$(cat "$OUT")
rm .mlake/index.db*
expect_success mlake reindex
expect_success mlake --json search diabetes
expect_eq "$(cat "$OUT")" "$before" "search after reindex"

pass
