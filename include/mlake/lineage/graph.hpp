#pragma once

#include <mlake/util/json.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace mlake::lake {
class Lake;
}

namespace mlake::lineage {

namespace fs = std::filesystem;

enum class Direction
{
  up,   // what produced it: the inputs, code and steps, back to the sources
  down, // what was produced from it
  both,
};

struct LineageOptions
{
  Direction direction = Direction::up;
  int depth = -1; // steps from the start; all when negative
};

// A step of the graph: one node.
struct Step
{
  std::string id;
  std::string kind;
  std::string message;
  std::string user_name;
  std::string user_email;
  std::string host;
  std::string time;
  std::string command; // the argv as JSON, "" when it ran nothing
  std::optional<int> exit_code;
  std::string git_commit;
  bool git_dirty = false;
  struct Code
  {
    std::string path, hash;
    std::uint64_t size = 0;
  };
  std::vector<Code> code;
  // It read a version that was purged, or made from one.
  bool tainted = false;
};

// A version of an artifact that a step read or wrote.
struct Version
{
  std::string id; // "artifact@N", or "artifact@<hash prefix>" when unknown
  std::string artifact;
  int version = 0; // 0 when the lake does not know the version
  std::string hash;
  std::string type;
  std::uint64_t size = 0;
  std::string path;
  std::string node; // the step that recorded it, "" when unknown
  // "purged" (its content was erased), "tainted" (made from a purged
  // version), or "".
  std::string taint;
};

struct Edge
{
  std::string from, to;
  bool input; // version -> step; else step -> version (an output)
};

// The versioned graph around a version or a node.
struct Graph
{
  Direction direction = Direction::up;
  bool root_is_version = false;
  std::string root;     // the root's id: a version id or a node id
  Version root_version; // when root_is_version
  std::vector<Step> steps;
  std::vector<Version> versions;
  std::vector<Edge> edges;
};

// The graph around `ref` (NAME[@VER], a path, or a node id): its steps
// (nodes, with their code), the versions they read and wrote, and the
// edges between them. Up: what produced it, back to the sources; down:
// what was made from it. Versions a purge erased, and everything made
// from them, are marked.
Graph lineage(lake::Lake& lake,
              const std::string& ref,
              const fs::path& cwd,
              const LineageOptions& options);

// The graph as `mlake lineage --format json` prints it: {"root",
// "direction", "steps": [...], "versions": [...], "edges": [{"from", "to",
// "kind"}]}; written directly, as a graph may have 100,000 steps.
std::string render_json(const Graph& graph);
// The same document as a json value, for small graphs (model cards).
json to_json(const Graph& graph);

// The graph drawn for people (a tree from the root, repeated parts
// marked), for Graphviz (DOT) and for Mermaid (flowchart).
std::string render_text(const Graph& graph);
std::string render_dot(const Graph& graph);
std::string render_mermaid(const Graph& graph);

} // namespace mlake::lineage
