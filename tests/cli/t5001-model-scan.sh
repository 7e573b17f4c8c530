#!/bin/bash
# Model files are inspected when add, ingest and run record them: the
# format, what they hold, the imports of their pickles and a verdict, kept
# as the version's metafeatures and shown by show, with a warning line for
# a pickle that would run a command when loaded.
. ./lib.sh

MODELS=$TESTDATA/models
new_lake
mkdir -p models

# show --json of a version (the latest when none is named).
model_of() {
  case $1 in
  *@*) expect_success mlake --json show "$1" ;;
  *) expect_success mlake --json show "$1@latest" ;;
  esac
}

# --- add -----------------------------------------------------------------------------------------
check "adding a harmful pickle warns, and records it all the same"
cp "$MODELS/harmful.pkl" models/model.pkl
expect_success mlake add models/model.pkl -m "a pickle from the internet"
expect_stderr_contains "warning: models/model.pkl would import posix.system when loaded (pickle)"
expect_stdout_contains "added    models/model.pkl  @1"

check "show of the artifact marks the version"
expect_success mlake show models/model.pkl
expect_stdout_contains "a pickle from the internet  [model unsafe: see mlake show models/model.pkl@1]"

check "show of the version warns about it"
expect_success mlake show models/model.pkl@1
expect_stdout_contains "Model  pickle, protocol 4, 1 import"
expect_stdout_contains "       imports posix.system"
expect_stdout_contains "       verdict unsafe"
expect_stdout_contains "warning: models/model.pkl would import posix.system when loaded (pickle)"

check "show --json carries the verdict and the import"
model_of models/model.pkl@1
expect_json 'd["what"]["metafeatures"]["model"]["verdict"]' unsafe
expect_json 'd["what"]["metafeatures"]["model"]["format"]' pickle
expect_json 'd["what"]["metafeatures"]["model"]["imports"]' '["posix.system"]'
expect_json '[(u["import"], u["severity"]) for u in d["what"]["metafeatures"]["model"]["unsafe_imports"]]' '[["posix.system","dangerous"]]'

check "the node holds it too, as the output's metafeatures"
node=$(json_value 'd["node"]')
expect_success mlake --json show "$node"
expect_json 'd["record"]["outputs"][0]["metafeatures"]["model"]["verdict"]' unsafe

check "add --json gives each model's verdict"
cp "$MODELS/benign.pkl" models/benign.pkl
expect_success mlake --json add models/benign.pkl -m "a benign pickle"
expect_json '[p["model_verdict"] for p in d["paths"]]' '["safe"]'
expect_stderr_empty

check "a safetensors file: tensors and parameters"
cp "$MODELS/model.safetensors" models/model.safetensors
expect_success mlake add models/model.safetensors -m "weights"
expect_stderr_not_contains "warning"
expect_success mlake show models/model.safetensors@latest
expect_stdout_contains "Model  safetensors, 3 tensors, 17 parameters (F16 1, F32 2)"
expect_stdout_contains "       metadata format=pt, source=mlake testdata"
expect_stdout_contains "       verdict safe"
expect_stdout_not_contains "warning"
model_of models/model.safetensors@latest
expect_json 'd["what"]["metafeatures"]["model"]["parameters"]' 17
expect_json 'd["what"]["metafeatures"]["model"]["tensor_count"]' 3
expect_json 'd["what"]["metafeatures"]["model"]["verdict"]' safe

check "a GGUF file: architecture, name and parameters"
cp "$MODELS/model.gguf" models/tiny.gguf
expect_success mlake add models/tiny.gguf -m "a quantized model"
expect_success mlake show models/tiny.gguf@latest
expect_stdout_contains "Model  gguf v3, llama 'tiny-test', 2 tensors, 10 parameters, 7 metadata keys"
model_of models/tiny.gguf
expect_json 'd["what"]["metafeatures"]["model"]["metadata"]["general.architecture"]' llama

check "a PyTorch checkpoint with a payload names the entry it is in"
cp "$MODELS/pytorch_harmful.pt" models/evil.pt
cp "$MODELS/pytorch.pt" models/good.pt
expect_success mlake add models/evil.pt models/good.pt -m "two checkpoints"
expect_stderr_contains "warning: models/evil.pt would import posix.system when loaded (pytorch-zip, in archive/data.pkl)"
expect_stderr_not_contains "good.pt"
expect_success mlake show models/good.pt@latest
expect_stdout_contains "Model  pytorch-zip, protocol 2, 2 tensors, 9 parameters, 4 imports"
expect_stdout_contains "       verdict safe"
model_of models/evil.pt
expect_json 'd["what"]["metafeatures"]["model"]["unsafe_imports"][0]["where"]' archive/data.pkl

check "a joblib model imports code mlake does not know: not verified"
cp "$MODELS/model.joblib" models/est.joblib
expect_success mlake add models/est.joblib -m "an estimator"
expect_stderr_contains "warning: models/est.joblib would import sklearn.linear_model._base.LinearRegression, which is not known to be safe, when loaded (joblib)"
model_of models/est.joblib
expect_json 'd["what"]["metafeatures"]["model"]["verdict"]' "not verified"
expect_json 'd["what"]["metafeatures"]["model"]["arrays"]' 1

check "a truncated safetensors file is recorded, and reported"
head -c 100 "$MODELS/model.safetensors" >models/cut.safetensors
expect_success mlake add models/cut.safetensors -m "a broken download"
expect_stderr_contains "warning: models/cut.safetensors could not be verified: malformed safetensors file: the header length"
expect_success mlake show models/cut.safetensors@latest
expect_stdout_contains "       verdict not verified"

check "a file that is no model gets no model metafeatures"
echo "just notes" >models/notes.txt
expect_success mlake add models/notes.txt -m "notes"
model_of models/notes.txt
expect_json '"metafeatures" in d["what"]' false

# --- ingest --------------------------------------------------------------------------------------
check "ingest inspects what it copies"
mkdir -p "$TEST_ROOT/outside"
cp "$MODELS/harmful_p0.pkl" "$TEST_ROOT/outside/old.pkl"
expect_success mlake ingest "$TEST_ROOT/outside/old.pkl" --as models/old.pkl -m "an old pickle"
expect_stderr_contains "warning: models/old.pkl would import os.system when loaded (pickle)"
model_of models/old.pkl
expect_json 'd["what"]["metafeatures"]["model"]["imports"]' '["os.system"]'
expect_json 'd["what"]["metafeatures"]["model"]["verdict"]' unsafe

check "ingest --mode reference inspects the file where it is"
cp "$MODELS/model.safetensors" "$TEST_ROOT/outside/ref.safetensors"
expect_success mlake ingest --mode reference "$TEST_ROOT/outside/ref.safetensors" --as models/ref.safetensors -m "a referenced model"
model_of models/ref.safetensors
expect_json 'd["what"]["metafeatures"]["model"]["parameters"]' 17
expect_json 'd["how"]["mode"]' reference

# --- run -----------------------------------------------------------------------------------------
check "run outputs are inspected"
cat >train.sh <<EOF
cp "$MODELS/harmful.pkl" models/trained.pkl
EOF
expect_success mlake run --kind train -o models/trained.pkl -m "train" -- sh train.sh
expect_stderr_contains "warning: models/trained.pkl would import posix.system when loaded (pickle)"
model_of models/trained.pkl
expect_json 'd["what"]["metafeatures"]["model"]["verdict"]' unsafe
expect_success mlake show models/trained.pkl@latest
expect_stdout_contains "warning: models/trained.pkl would import posix.system when loaded (pickle)"

check "reindex keeps the inspection"
expect_success mlake reindex
model_of models/model.pkl@1
expect_json 'd["what"]["metafeatures"]["model"]["verdict"]' unsafe

pass
