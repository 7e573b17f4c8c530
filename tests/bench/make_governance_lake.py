#!/usr/bin/env python3
"""Write a synthetic lake of about N nodes for the governance benchmarks.

  make_governance_lake.py DIR N

Projects of 13 nodes each, as a team makes them: an add of a dataset, an
annotate (owner, description, tags), eight train runs with params and
metrics reading it, an evaluate of the last model, an approve of the
dataset and a promote of that model to production. Each project is a study
named by two words; project 0 is "diabetes-prediction". The nodes are what
mlake writes (canonical JSON named by its SHA-256, with parents), and the
objects (a few bytes each) are written too, so that audit can re-hash them.
Run 'mlake reindex' afterwards to index them.
"""
import hashlib, json, os, random, sys

root, count = sys.argv[1], int(sys.argv[2])
lake = os.path.join(root, ".mlake")
os.makedirs(os.path.join(lake, "nodes"), exist_ok=True)
user = {"name": "bench", "email": "bench@example.org"}
words = ["churn", "fraud", "credit", "sales", "demand", "pumps", "images",
         "speech", "text", "sensor", "energy", "traffic", "retail", "claims",
         "weather", "crops", "ads", "search", "ranking", "vision"]
tasks = ["forecast", "classification", "detection", "regression", "ranking"]
rng = random.Random(1)
clock = [0]


def now():
    clock[0] += 1
    s = clock[0] // 1000
    return "2026-01-%02dT%02d:%02d:%02d.%06dZ" % (
        1 + s // 86400, (s // 3600) % 24, (s // 60) % 60, s % 60,
        clock[0] % 1000000)


heads = []


def write(node):
    global heads
    node.setdefault("format", 1)
    node.setdefault("user", user)
    node.setdefault("host", "bench")
    node.setdefault("inputs", [])
    node.setdefault("outputs", [])
    t = now()
    node["time"] = {"start": t, "end": t}
    node["parents"] = heads
    data = json.dumps(node, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode()
    node_id = hashlib.sha256(data).hexdigest()
    with open(os.path.join(lake, "nodes", node_id + ".json"), "wb") as f:
        f.write(data)
    heads = [node_id]
    return node_id


def blob(text):
    data = text.encode()
    h = hashlib.sha256(data).hexdigest()
    d = os.path.join(lake, "objects", h[:2])
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, h[2:])
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, 0o444)
    return h, len(data)


def item(artifact, text, role, node=None):
    h, size = blob(text)
    out = {"artifact": artifact, "hash": h, "path": artifact, "role": role,
           "size": size, "type": "file"}
    if node:
        out["node"] = node
    return out


projects = max(1, count // 13)
for p in range(projects):
    if p == 0:
        study, topic = "diabetes-prediction", "diabetes"
    else:
        study = "%s-%s-%d" % (rng.choice(words), rng.choice(tasks), p)
        topic = study.split("-")[0]
    data = "data/p%d/%s.csv" % (p, topic)
    add = write({"kind": "add", "message": "%s data of project %d" % (topic, p),
                 "outputs": [item(data, "rows of %s %d" % (topic, p),
                                  "output")]})
    data_in = item(data, "rows of %s %d" % (topic, p), "input", add)
    write({"kind": "annotate", "message": "describe",
           "metadata": {data: {"owner": "team%d" % (p % 50),
                               "description": "%s measurements, project %d"
                               % (topic, p),
                               "kind": "dataset",
                               "tags": {"add": [topic, "raw"]}}}})
    model_node = None
    for r in range(8):
        model = "models/p%d/model.bin" % p
        lr = [0.001, 0.01, 0.1, 0.3][r % 4]
        opt = ["adam", "sgd"][r % 2]
        acc = round(0.6 + 0.04 * r + rng.random() * 0.05, 4)
        # The first run makes the model artifact, as mlake run records it.
        metadata = {"metadata": {model: {"kind": "model"}}} if r == 0 else {}
        model_node = write({
            **metadata,
            "kind": "train", "message": "train %s lr %s" % (opt, lr),
            "study": study, "task": "baseline", "algorithm": "gbm",
            "command": ["python3", "train.py"], "exit_code": 0,
            "params": {"lr": lr, "optimizer": opt, "depth": r + 3},
            "metrics": {"accuracy": acc, "loss": round(1 - acc, 4)},
            "inputs": [data_in],
            "outputs": [item(model, "model %d %d" % (p, r), "output")]})
    model_in = item(model, "model %d %d" % (p, 7), "input", model_node)
    write({"kind": "evaluate", "message": "holdout", "study": study,
           "command": ["python3", "eval.py"], "exit_code": 0,
           "metrics": {"accuracy": 0.9}, "inputs": [model_in]})
    approved = dict(data_in, role="approved")
    write({"kind": "approve", "message": "checked", "inputs": [approved]})
    promoted = dict(model_in, role="promoted")
    write({"kind": "promote", "message": "release", "alias": "production",
           "inputs": [promoted]})
print(projects * 13)
