#!/bin/bash
# audit: the whole upstream lineage of a version against .mlake/policy.yaml,
# and the record itself (tamper evidence); promote refuses what breaks the
# policy unless --force, which it records.
. ./lib.sh

new_lake
git init -q . && git config user.name T && git config user.email t@example.org
printf 'age,outcome\n50,1\n31,0\n' >raw.csv
expect_success mlake add raw.csv -m "raw data"
expect_success mlake --json run --kind process -i raw.csv -o clean.csv -m "clean" -- cp raw.csv clean.csv
process_node=$(json_value 'd["node"]')
cat >train.sh <<'EOF2'
echo "model" >model.pkl
echo '{"accuracy": 0.9}' >m.json
EOF2
git add -A && git commit -qm "code"
expect_success mlake --json run --kind train -i clean.csv -o model.pkl -M m.json -m "train" -- sh train.sh
train_node=$(json_value 'd["node"]')
violations() { json_value '[v["rule"] + ": " + v["message"] for v in d["violations"]]'; }

check "without a policy, audit checks the record and passes"
expect_success mlake audit model.pkl
expect_stdout_contains "audited model.pkl@1: 3 node(s), 3 version(s), 3 object(s) upstream, no policy"
expect_success mlake --json audit model.pkl
expect_json '(d["ok"], d["policy"], d["violations"])' '[true,null,[]]'

check "each rule names what breaks it"
cat >.mlake/policy.yaml <<'EOF2'
# what our team requires
required_metadata:
  dataset: [owner, description]
approved_inputs: true
max_security:
  production: confidential
clean_code: true
EOF2
expect_failure 1 mlake --json audit model.pkl
expect_json 'sorted(v["rule"] for v in d["violations"])' '["approved_inputs","clean_code","required_metadata","required_metadata","required_metadata","required_metadata"]'
expect_json '[v["message"] for v in d["violations"] if v["rule"] == "approved_inputs"]' '["train run '"${train_node:0:12}"' read clean.csv@1, which is not approved"]'
expect_json '[v["node"] for v in d["violations"] if v["rule"] == "clean_code"]' "[\"$process_node\"]"
expect_json 'd["policy"]["path"]' .mlake/policy.yaml
expect_failure 1 mlake audit model.pkl
expect_stdout_contains "required_metadata: dataset 'raw.csv' has no owner"
expect_stdout_contains "clean_code: process run ${process_node:0:12} ran code outside a git commit"

check "fixing what the audit named makes it pass"
for f in raw.csv clean.csv; do
  expect_success mlake annotate $f --owner carol --description "Pima data" -m "document"
done
expect_success mlake approve clean.csv@1 -m "checked"
expect_failure 1 mlake --json audit model.pkl
expect_json '[v["rule"] for v in d["violations"]]' '["clean_code"]'
expect_success mlake audit model.pkl --policy <(printf 'required_metadata:\n  dataset: [owner]\napproved_inputs: true\n')

check "promote refuses what breaks the policy, and leaves the lake as it was"
expect_success mlake annotate raw.csv --security restricted -m "holds personal data"
snapshot_lake before
expect_failure 1 mlake promote model.pkl@1 --to production -m "ship"
expect_one_error_line
expect_stderr_contains "breaks the policy (2 violation(s))"
expect_lake_unchanged before
expect_failure 1 mlake promote model.pkl@1 --to staging -m "no security rule for staging"
expect_stderr_contains "breaks the policy (1 violation(s)): process run ${process_node:0:12} ran code outside a git commit"
expect_success mlake promote model.pkl@1 --to staging -m "no security rule for staging" --force
expect_failure 1 mlake --json audit model.pkl@staging
expect_json '[v["rule"] for v in d["violations"]]' '["clean_code"]'

check "--force promotes anyway and records it"
expect_success mlake --json promote model.pkl@1 --to production -m "ship anyway" --force
expect_json 'len(d["policy_violations"])' 2
expect_stderr_contains "warning: forced past the policy: 'raw.csv' is restricted, above the confidential allowed behind production"
promote_node=$(json_value 'd["node"]')
expect_success mlake --json show "$promote_node"
expect_success mlake --json show model.pkl
expect_json '[p["forced"] for p in d["governance"]["promotions"]]' '[true,true]'
expect_failure 1 mlake --json audit model.pkl@production
expect_json 'd["aliases"]' '["staging","production"]'
expect_json 'sorted(v["rule"] for v in d["violations"])' '["clean_code","max_security"]'

check "a policy in order lets the promotion through"
printf 'max_security:\n  production: restricted\n' >.mlake/policy.yaml
expect_success mlake promote model.pkl@1 --to champion -m "policy in order"
expect_success mlake audit model.pkl@production

check "a malformed policy or an unknown rule is an error naming the line"
for text in 'bogus: true\n' 'max_security:\n  production: secret\n' 'required_metadata:\n  cars: [owner]\n' \
  'required_metadata:\n  dataset: [color]\n' 'clean_code: sometimes\n' 'clean_code: [\n' 'max_security:\n  9lives: public\n'; do
  printf "$text" >.mlake/policy.yaml
  expect_failure 2 mlake audit model.pkl
  expect_stderr_contains "cannot read policy '"
  expect_stderr_contains ": line "
done
expect_failure 2 mlake promote model.pkl@1 --to canary -m "x"
expect_failure 3 mlake audit model.pkl --policy no-such-policy.yaml
rm .mlake/policy.yaml
expect_failure 3 mlake audit nothing

check "tamper evidence: an altered node fails the audit, naming it"
node_file=.mlake/nodes/$process_node.json
cp -p "$node_file" saved-node
chmod u+w "$node_file"
sed -i 's/"clean"/"CLEAN"/' "$node_file"
expect_failure 1 mlake --json audit model.pkl
expect_json '[v["message"] for v in d["violations"]]' "[\"node $process_node (process) was altered: its content no longer hashes to its id\"]"
expect_failure 13 mlake fsck
cp -p saved-node "$node_file"
expect_success mlake audit model.pkl

check "tamper evidence: a deleted node fails the audit"
mv "$node_file" saved-node
expect_failure 1 mlake --json audit model.pkl
expect_json '[v["node"] for v in d["violations"]]' "[\"$process_node\"]"
expect_json 'd["violations"][0]["message"]' "node $process_node (process) is missing from .mlake/nodes: it was deleted"
mv saved-node "$node_file"

check "tamper evidence: an altered object fails the audit, naming the version"
obj=$(object_path "$(lock_value raw.csv hash)")
chmod u+w "$obj"
printf 'age,outcome\n50,0\n31,0\n' >"$obj"
expect_failure 1 mlake --json audit model.pkl
# clean.csv is a copy: the same object
expect_json '[(v["rule"], v["version"]) for v in d["violations"]]' '[["integrity","clean.csv@1"],["integrity","raw.csv@1"]]'
expect_stdout_contains "was altered: it no longer hashes to its name"
expect_failure 13 mlake fsck

check "model_scan: a harmful pickle fails, the file added beside it does not"
mkdir models-lake && cd models-lake
expect_success mlake init
cp "$TESTDATA/models/harmful.pkl" "$TESTDATA/models/model.safetensors" .
expect_success mlake add harmful.pkl model.safetensors -m "two models in one add"
printf 'model_scan: true\n' >.mlake/policy.yaml
expect_failure 1 mlake --json audit harmful.pkl
expect_json '[(v["rule"], v["version"]) for v in d["violations"]]' '[["model_scan","harmful.pkl@1"]]'
expect_stdout_contains "would import posix.system"
expect_success mlake --json audit model.safetensors
expect_json 'd["checked"]["versions"]' 1

pass
