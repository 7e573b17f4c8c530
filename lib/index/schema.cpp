#include "schema.hpp"

namespace mlake::index {

const std::vector<Migration>&
migrations()
{
  static const std::vector<Migration> steps = {
      {1,
       R"sql(
CREATE TABLE nodes(
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  message TEXT NOT NULL,
  user_name TEXT NOT NULL,
  user_email TEXT NOT NULL,
  host TEXT NOT NULL,
  time_start TEXT NOT NULL,
  time_end TEXT NOT NULL,
  command TEXT,
  exit_code INTEGER,
  mode TEXT,
  study TEXT,
  analysis TEXT,
  task TEXT
) WITHOUT ROWID;
CREATE INDEX nodes_time ON nodes(time_end, id);

CREATE TABLE node_parents(
  node TEXT NOT NULL,
  parent TEXT NOT NULL,
  PRIMARY KEY(node, parent)
) WITHOUT ROWID;
CREATE INDEX node_parents_parent ON node_parents(parent);

CREATE TABLE node_io(
  node TEXT NOT NULL,
  direction TEXT NOT NULL CHECK(direction IN ('in', 'out')),
  seq INTEGER NOT NULL,
  artifact TEXT NOT NULL,
  hash TEXT NOT NULL,
  role TEXT NOT NULL,
  type TEXT NOT NULL,
  size INTEGER NOT NULL,
  path TEXT NOT NULL,
  PRIMARY KEY(node, direction, seq)
) WITHOUT ROWID;
CREATE INDEX node_io_artifact ON node_io(artifact);
CREATE INDEX node_io_hash ON node_io(hash);

CREATE TABLE artifacts(
  name TEXT PRIMARY KEY,
  created TEXT NOT NULL,
  created_node TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE versions(
  artifact TEXT NOT NULL,
  node TEXT NOT NULL,
  hash TEXT NOT NULL,
  type TEXT NOT NULL,
  size INTEGER NOT NULL,
  files INTEGER NOT NULL,
  exec INTEGER NOT NULL,
  path TEXT NOT NULL,
  time TEXT NOT NULL,
  PRIMARY KEY(artifact, node)
) WITHOUT ROWID;
CREATE INDEX versions_order ON versions(artifact, time, node);
CREATE INDEX versions_hash ON versions(hash);
CREATE INDEX versions_path ON versions(path);

-- Every metadata change a node made, for history; artifact_fields and
-- artifact_tags hold the current state (last writer wins).
CREATE TABLE annotations(
  node TEXT NOT NULL,
  artifact TEXT NOT NULL,
  field TEXT NOT NULL,
  value TEXT NOT NULL,
  time TEXT NOT NULL,
  PRIMARY KEY(node, artifact, field, value)
) WITHOUT ROWID;
CREATE INDEX annotations_artifact ON annotations(artifact, time);

CREATE TABLE artifact_fields(
  artifact TEXT NOT NULL,
  field TEXT NOT NULL,
  value TEXT NOT NULL,
  time TEXT NOT NULL,
  node TEXT NOT NULL,
  PRIMARY KEY(artifact, field)
) WITHOUT ROWID;

CREATE TABLE artifact_tags(
  artifact TEXT NOT NULL,
  tag TEXT NOT NULL,
  present INTEGER NOT NULL,
  time TEXT NOT NULL,
  node TEXT NOT NULL,
  PRIMARY KEY(artifact, tag)
) WITHOUT ROWID;

CREATE TABLE users(
  name TEXT NOT NULL,
  email TEXT NOT NULL,
  PRIMARY KEY(name, email)
) WITHOUT ROWID;

-- Local, not a projection: for each tracked path, the stat of every file
-- below it when last hashed (see StatSnapshot for the encoding).
CREATE TABLE stat_snapshots(
  root TEXT PRIMARY KEY,
  whole_hash TEXT NOT NULL,
  entries BLOB NOT NULL
) WITHOUT ROWID;
)sql",
       true},
      {2,
       R"sql(
ALTER TABLE nodes ADD COLUMN algorithm TEXT;
ALTER TABLE nodes ADD COLUMN run_id TEXT;
ALTER TABLE nodes ADD COLUMN git_commit TEXT;
ALTER TABLE nodes ADD COLUMN git_dirty INTEGER;
-- 0 for content recorded by reference (ingest --mode reference).
ALTER TABLE versions ADD COLUMN stored INTEGER NOT NULL DEFAULT 1;
-- The version's number, 1, 2, ... in (time, node) order within its
-- artifact; renumbered when an older version arrives later (a pull).
ALTER TABLE versions ADD COLUMN ordinal INTEGER;
CREATE INDEX versions_ordinal ON versions(artifact, ordinal);
-- DatasetMetafeatures of a version of a CSV/TSV file, as the node records
-- them (rows, columns, per-column statistics, class balance).
CREATE TABLE metafeatures(
  artifact TEXT NOT NULL,
  node TEXT NOT NULL,
  json TEXT NOT NULL,
  PRIMARY KEY(artifact, node)
) WITHOUT ROWID;

-- The nodes no other node names as a parent: a new node's parents. Kept
-- as nodes are projected, so that a commit need not scan every node.
CREATE TABLE heads(id TEXT PRIMARY KEY) WITHOUT ROWID;
INSERT INTO heads SELECT id FROM nodes WHERE NOT EXISTS
  (SELECT 1 FROM node_parents p WHERE p.parent = nodes.id);

-- Which artifact lives at a path.
CREATE INDEX artifact_fields_value ON artifact_fields(field, value);

-- The code files a node snapshotted.
CREATE TABLE node_code(
  node TEXT NOT NULL,
  path TEXT NOT NULL,
  hash TEXT NOT NULL,
  size INTEGER NOT NULL,
  PRIMARY KEY(node, path)
) WITHOUT ROWID;

CREATE TABLE params(
  node TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,   -- as JSON: 0.1, "adam", true
  number REAL,           -- the value when it is a number
  PRIMARY KEY(node, key)
) WITHOUT ROWID;
CREATE INDEX params_key ON params(key, value);

-- Metrics a run reported (and, later, observations of deployed models).
CREATE TABLE metrics(
  node TEXT NOT NULL,
  artifact TEXT,
  key TEXT NOT NULL,
  value REAL NOT NULL,
  step INTEGER,
  time TEXT NOT NULL,
  source TEXT
);
CREATE INDEX metrics_node ON metrics(node);
CREATE INDEX metrics_key ON metrics(key, value);

-- Each input names the node that recorded its version, so that lineage
-- walks from node to node without guessing which version was meant.
ALTER TABLE node_io ADD COLUMN source TEXT;
CREATE INDEX node_io_source ON node_io(source, artifact);
)sql",
       true},
      {3,
       R"sql(
-- Governance records, each a node: an alias pointed at a version, an
-- approval of a version or its withdrawal. `version_node` names the node
-- that recorded the version (a version is an artifact and that node).
CREATE TABLE promotions(
  node TEXT PRIMARY KEY,
  artifact TEXT NOT NULL,
  alias TEXT NOT NULL,
  version_node TEXT NOT NULL,
  hash TEXT NOT NULL,
  time TEXT NOT NULL,
  forced INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX promotions_alias ON promotions(artifact, alias, time, node);

CREATE TABLE approvals(
  node TEXT PRIMARY KEY,
  artifact TEXT NOT NULL,
  version_node TEXT NOT NULL,
  hash TEXT NOT NULL,
  decision TEXT NOT NULL CHECK(decision IN ('approve', 'revoke')),
  time TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX approvals_version ON approvals(artifact, version_node, time);

-- Observations of a deployed version (metric nodes) keep the version they
-- observed and the time they were made, which may precede the node.
ALTER TABLE metrics ADD COLUMN version_node TEXT;
CREATE INDEX metrics_version ON metrics(artifact, version_node, time);
)sql",
       true},
      {4,
       R"sql(
-- Full-text search: one document per artifact and per node. `name` holds
-- an artifact's name or a node's study, analysis and task (a project's
-- title); `description` an artifact's description or a node's message;
-- `body` the rest (kinds, owners, users, tags, params, metric names, the
-- artifacts a node touched, the studies an artifact was used in).
CREATE VIRTUAL TABLE search USING fts5(
  name, description, body,
  tokenize = 'unicode61 remove_diacritics 2');
CREATE TABLE search_docs(
  id INTEGER PRIMARY KEY,  -- the rowid of its row in `search`
  type TEXT NOT NULL CHECK(type IN ('artifact', 'node')),
  target TEXT NOT NULL,
  kind TEXT NOT NULL,
  time TEXT NOT NULL,
  UNIQUE(type, target)
);
CREATE INDEX search_docs_time ON search_docs(time);
CREATE INDEX nodes_study ON nodes(study);
)sql",
       true},
      {5,
       R"sql(
-- Erasure: a purge node names the version it erased ('purged') and the
-- other versions whose content went with it ('affected', content they
-- shared), and lists the objects it erased.
CREATE TABLE purges(
  node TEXT NOT NULL,
  artifact TEXT NOT NULL,
  version_node TEXT NOT NULL,
  hash TEXT NOT NULL,
  role TEXT NOT NULL CHECK(role IN ('purged', 'affected')),
  time TEXT NOT NULL,
  PRIMARY KEY(node, artifact, version_node)
) WITHOUT ROWID;
CREATE INDEX purges_version ON purges(artifact, version_node);
CREATE TABLE purged_objects(
  hash TEXT NOT NULL,
  node TEXT NOT NULL,
  PRIMARY KEY(hash, node)
) WITHOUT ROWID;
)sql",
       true},
      {6,
       R"sql(
-- A search by kind without words reads the documents of that kind newest
-- first, not every document; a param given as a number finds the nodes
-- that have it without reading every value of the key.
CREATE INDEX search_docs_kind ON search_docs(kind, time);
CREATE INDEX params_number ON params(key, number);
)sql",
       false},
  };
  return steps;
}

} // namespace mlake::index
