#!/bin/bash
# Governance records: approve and revoke, promote (NAME@ALIAS everywhere),
# metric log and monitor. Each is a node downstream of the version it acts
# on; current state is a projection that reindex rebuilds the same.
. ./lib.sh

new_lake
cat >train.sh <<'EOF2'
# train.sh LR OUT: a "model" and its metrics.
echo "model lr=$1" >"$2"
printf '{"accuracy": %s, "loss": 0.2}\n' "$(awk -v lr="$1" 'BEGIN { print 1 - lr }')" >metrics.json
EOF2
printf 'x,y\n1,2\n' >data.csv
expect_success mlake add data.csv -m "data"
expect_success mlake run --kind train -i data.csv -o model.pt -p lr=0.1 -M metrics.json -m "lr 0.1" -- sh train.sh 0.1 model.pt
expect_success mlake run --kind train -i data.csv -o model.pt -p lr=0.3 -M metrics.json -m "lr 0.3" -- sh train.sh 0.3 model.pt
printf '{"accuracy": 0.85}\n' >eval.json
expect_success mlake --json run --kind evaluate -i model.pt -M eval.json -m "evaluate v2" -- true
eval_node=$(json_value 'd["node"]')

# --- approve / revoke ----------------------------------------------------------------------------
check "a version starts unapproved"
expect_success mlake --json show model.pt@1
expect_json '(d["governance"]["approved"], d["governance"]["approvals"])' '[false,[]]'
expect_success mlake show model.pt@1
expect_stdout_contains "Status not approved"

check "approve records a node by the current user"
expect_success mlake --json approve model.pt@1 -m "reviewed the notebook"
approve_node=$(json_value 'd["node"]')
expect_json '(d["decision"], d["approved"], d["approvers"], d["version"]["ref"])' '["approve",true,["Test User"],"model.pt@1"]'
expect_success mlake --json show "$approve_node"
expect_json '(d["kind"], d["inputs"][0]["artifact"], d["inputs"][0]["role"], d["message"])' '["approve","model.pt","approved","reviewed the notebook"]'
expect_success mlake show model.pt@1
expect_stdout_contains "Status approved by Test User"

check "an approval in force is not made twice"
snapshot_lake before
expect_failure 2 mlake approve model.pt@1 -m "again"
expect_one_error_line
expect_stderr_contains "already approved by Test User"
expect_lake_unchanged before

check "a second approver"
MLAKE_USER_NAME=Bob MLAKE_USER_EMAIL=bob@example.org expect_success mlake --json approve model.pt@1 -m "second pair of eyes"
expect_json 'd["approvers"]' '["Test User","Bob"]'

check "revoke withdraws every approval before it"
expect_success mlake --json revoke model.pt@1 -m "leaks test data"
expect_json '(d["decision"], d["approved"])' '["revoke",false]'
expect_success mlake --json show model.pt@1
expect_json '[a["decision"] for a in d["governance"]["approvals"]]' '["approve","approve","revoke"]'
expect_json 'd["governance"]["approved"]' false
expect_failure 2 mlake revoke model.pt@1 -m "again"
expect_stderr_contains "not approved: there is nothing to revoke"
expect_success mlake approve model.pt@1 -m "fixed upstream"
expect_success mlake --json show model.pt@1
expect_json '(d["governance"]["approved"], d["governance"]["approved_by"])' '[true,["Test User"]]'

# --- promote ---------------------------------------------------------------------------------------
check "promote points an alias at a version; NAME@ALIAS resolves it"
expect_failure 3 mlake show model.pt@production
expect_success mlake --json promote model.pt@1 --to production -m "first release"
expect_json '(d["alias"], d["version"]["ref"], d["previous"])' '["production","model.pt@1",null]'
expect_success mlake --json show model.pt@production
expect_json '(d["version"], d["governance"]["aliases"])' '[1,["production"]]'
expect_success mlake checkout model.pt@production
expect_eq "$(cat model.pt)" "model lr=0.1" "model.pt checked out at production"

check "promoting again moves the alias and keeps the history"
expect_success mlake --json promote model.pt@2 --to production -m "better accuracy"
expect_json '(d["version"]["ref"], d["previous"]["ref"])' '["model.pt@2","model.pt@1"]'
expect_success mlake promote model.pt@1 --to staging -m "canary"
expect_success mlake --json show model.pt
expect_json '{k: v["version"] for k, v in d["governance"]["aliases"].items()}' '{"production":2,"staging":1}'
expect_json '[(p["alias"], p["version"]) for p in d["governance"]["promotions"]]' '[["production",1],["production",2],["staging",1]]'
expect_success mlake show model.pt
expect_stdout_contains "promoted @2 to production"
expect_success mlake --json lineage model.pt@2 --down
expect_json 'sorted(n["kind"] for n in d["steps"] if n["kind"] != "train")' '["evaluate","promote"]'

check "bad promotions are refused and leave the lake as it was"
snapshot_lake before
expect_failure 2 mlake promote model.pt@2 --to production -m "same"
expect_stderr_contains "already points at model.pt@2"
expect_failure 2 mlake promote model.pt@2 --to latest -m "x"
expect_stderr_contains "'latest' is taken"
expect_failure 2 mlake promote model.pt@2 --to "pro duction" -m "x"
expect_failure 2 mlake promote model.pt@2 --to staging -m ""
expect_failure 3 mlake promote model.pt@9 --to staging -m "x"
expect_failure 3 mlake promote nothing@1 --to staging -m "x"
expect_lake_unchanged before

# --- metric log / monitor ------------------------------------------------------------------------
check "monitor before any observation"
expect_success mlake monitor model.pt
expect_stdout_contains "no observations yet"

check "metric log records observations of the production version"
expect_success mlake --json metric log model.pt accuracy=0.84 latency_ms=120 --source grafana --time 2026-11-01T00:00:00Z
expect_json '(d["version"]["ref"], d["time"], d["metrics"])' '["model.pt@2","2026-11-01T00:00:00.000000Z",{"accuracy":0.84,"latency_ms":120}]'
obs=$(json_value 'd["node"]')
expect_success mlake --json show "$obs"
expect_json '(d["kind"], d["inputs"][0]["role"], d["message"])' '["metric","observed","observed accuracy=0.84, latency_ms=120"]'

check "monitor compares with the evaluated value"
expect_success mlake --json monitor model.pt --exit-code
expect_json 'd["version"]["ref"]' model.pt@2
expect_json '[(m["key"], m["baseline"] and m["baseline"]["value"], m["latest"], m["degraded"]) for m in d["metrics"]]' \
  '[["accuracy",0.85,0.84,false],["latency_ms",null,120,false]]'
expect_json 'd["metrics"][0]["baseline"]["node"]' "$eval_node"

check "a degradation beyond the threshold is flagged, with exit 1 on request"
expect_success mlake metric log model.pt@production accuracy=0.70 --time 2026-11-02T00:00:00Z -m "weekly check"
expect_success mlake monitor model.pt
expect_stdout_contains "DEGRADED"
expect_failure 1 mlake monitor model.pt --exit-code
expect_success mlake --json monitor model.pt --metric accuracy
expect_json '([o["value"] for o in d["metrics"][0]["observations"]], round(d["metrics"][0]["change"], 4), d["degraded"])' '[[0.84,0.7],-0.1765,true]'
expect_success mlake monitor model.pt --threshold 0.5 --exit-code
expect_success mlake --json monitor model.pt@1
expect_json 'd["metrics"]' '[]'

check "observations in the past sort by when they were observed"
expect_success mlake metric log model.pt accuracy=0.9 --time 2026-10-01T00:00:00Z
expect_success mlake --json monitor model.pt --metric accuracy
expect_json '[o["value"] for o in d["metrics"][0]["observations"]]' '[0.9,0.84,0.7]'

check "lower-is-better metrics degrade upwards"
expect_success mlake metric log model.pt loss=0.3
expect_success mlake --json monitor model.pt --metric loss
expect_json '(d["metrics"][0]["direction"], d["metrics"][0]["baseline"]["value"], d["metrics"][0]["degraded"])' '["lower is better",0.2,true]'

check "bad observations are refused"
snapshot_lake before
expect_failure 2 mlake metric log model.pt accuracy=high
expect_stderr_contains "'accuracy=high' is not KEY=NUMBER"
expect_failure 2 mlake metric log model.pt accuracy=nan
expect_failure 2 mlake metric log model.pt accuracy=0x10
expect_failure 2 mlake metric log model.pt =1
expect_failure 2 mlake metric log model.pt a=1 a=2
expect_failure 2 mlake metric log model.pt
expect_failure 2 mlake metric log model.pt a=1 --time yesterday
expect_failure 2 mlake monitor model.pt --threshold -1
expect_failure 3 mlake metric log nothing a=1
expect_lake_unchanged before

# --- the projection ------------------------------------------------------------------------------
check "reindex rebuilds the same aliases, approvals and observations"
expect_success mlake --json show model.pt
before_show=$(json_value 'd["governance"]')
expect_success mlake --json monitor model.pt
before_monitor=$(cat "$OUT")
rm .mlake/index.db*
expect_success mlake reindex
expect_success mlake --json show model.pt
expect_json 'd["governance"]' "$before_show"
expect_success mlake --json monitor model.pt
expect_eq "$(cat "$OUT")" "$before_monitor" "monitor after reindex"
expect_success mlake fsck

pass
