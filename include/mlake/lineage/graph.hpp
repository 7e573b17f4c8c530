#pragma once

#include <mlake/util/json.hpp>

#include <filesystem>
#include <string>

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

// The versioned graph around `ref` (NAME[@VER], a path, or a node id): its
// steps (nodes, with their code), the versions they read and wrote, and
// the edges between them (version -> step: an input, step -> version: an
// output). The document's shape is what `mlake lineage --format json`
// prints.
json lineage(lake::Lake& lake,
             const std::string& ref,
             const fs::path& cwd,
             const LineageOptions& options);

// The graph drawn for people (a tree from the start, repeated parts
// marked), for Graphviz (DOT) and for Mermaid (flowchart).
std::string render_text(const json& graph);
std::string render_dot(const json& graph);
std::string render_mermaid(const json& graph);

} // namespace mlake::lineage
