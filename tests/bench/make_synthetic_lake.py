#!/usr/bin/env python3
"""Write a synthetic lake of N lineage nodes straight into .mlake/nodes.

  make_synthetic_lake.py DIR N chain|fan

chain: an add, then N-1 process steps, each reading the previous step's
output.  fan: an add of one dataset, then N-1 train steps that all read it.
The nodes are what mlake writes (canonical JSON named by its SHA-256, with
parents); the objects are left out, as lineage queries never read them.
Run 'mlake reindex' afterwards to index them.
"""
import hashlib, json, os, sys

root, count, shape = sys.argv[1], int(sys.argv[2]), sys.argv[3]
nodes_dir = os.path.join(root, ".mlake", "nodes")
os.makedirs(nodes_dir, exist_ok=True)
user = {"name": "bench", "email": "bench@example.org"}


def write(node):
    data = json.dumps(node, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode()
    node_id = hashlib.sha256(data).hexdigest()
    with open(os.path.join(nodes_dir, node_id + ".json"), "wb") as f:
        f.write(data)
    return node_id


def stamp(i):
    return "2026-01-01T00:00:00.%06dZ" % (i % 1000000) if i < 1000000 else None


def time_of(i):
    seconds = i // 1000000
    return "2026-01-%02dT%02d:%02d:%02d.%06dZ" % (
        1 + seconds // 86400, (seconds // 3600) % 24, (seconds // 60) % 60,
        seconds % 60, i % 1000000)


def content(i):
    return hashlib.sha256(b"content %d" % i).hexdigest()


def output(artifact, i):
    return {"artifact": artifact, "hash": content(i), "path": artifact,
            "role": "output", "size": 100 + i, "type": "file"}


first = write({"format": 1, "kind": "add", "message": "raw data",
               "user": user, "host": "bench", "parents": [],
               "time": {"start": time_of(0), "end": time_of(0)},
               "inputs": [], "outputs": [output("data/raw.csv", 0)]})
previous, previous_artifact, parents = first, "data/raw.csv", [first]
for i in range(1, count):
    artifact = ("data/step%d.csv" % i) if shape == "chain" else (
        "models/model%d.bin" % i)
    source_node = previous if shape == "chain" else first
    source_artifact = previous_artifact if shape == "chain" else "data/raw.csv"
    source_index = i - 1 if shape == "chain" else 0
    node = {"format": 1, "kind": "process" if shape == "chain" else "train",
            "message": "step %d" % i, "user": user, "host": "bench",
            "parents": parents,
            "time": {"start": time_of(i), "end": time_of(i)},
            "command": ["python3", "step.py"], "exit_code": 0,
            "inputs": [{"artifact": source_artifact,
                        "hash": content(source_index), "node": source_node,
                        "path": source_artifact, "role": "input",
                        "size": 100 + source_index, "type": "file"}],
            "outputs": [output(artifact, i)]}
    previous = write(node)
    previous_artifact = artifact
    parents = [previous]
