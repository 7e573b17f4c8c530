#include <mlake/lake/lake.hpp>
#include <mlake/lake/refs.hpp>
#include <mlake/lineage/graph.hpp>
#include <mlake/util/time.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

namespace mlake::lineage {

namespace {

std::string
short_hash(const std::string& hash)
{
  return hash.substr(0, 10);
}

std::string
size_text(std::uint64_t bytes)
{
  static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  char buffer[32];
  if (unit == 0) {
    std::snprintf(buffer, sizeof(buffer), "%llu B", (unsigned long long)bytes);
  } else {
    std::snprintf(buffer, sizeof(buffer), "%.1f %s", value, units[unit]);
  }
  return buffer;
}

// Builds the graph document from the rows the index returns.
class GraphBuilder
{
public:
  GraphBuilder(const index::Index::LineageRows& rows) : m_rows(rows) {}

  std::string
  version_id(const std::string& artifact,
             const std::string& node,
             const std::string& hash)
  {
    auto it = m_rows.ordinals.find(artifact + "\n" + node);
    // An input whose recording node is unknown (not in this lake) is named
    // by its content.
    return it != m_rows.ordinals.end()
               ? artifact + "@" + std::to_string(it->second)
               : artifact + "@" + short_hash(hash);
  }

  void
  add(json& graph, Direction direction, const std::string& root_version)
  {
    std::unordered_set<std::string> in_set;
    for (const auto& n : m_rows.nodes) {
      in_set.insert(n.id);
    }
    // Which versions a step in the set reads, and which it writes: an up
    // graph shows a step's outputs only where they lead to the start, a
    // down graph a step's inputs only where they come from it.
    std::unordered_set<std::string> read, written;
    for (const auto& io : m_rows.io) {
      if (io.direction == "in") {
        read.insert(version_id(io.artifact, io.source, io.hash));
      } else {
        written.insert(version_id(io.artifact, io.node, io.hash));
      }
    }
    std::map<std::string, json> code;
    for (const auto& c : m_rows.code) {
      code[c.node].push_back(
          {{"path", c.path}, {"hash", c.hash}, {"size", c.size}});
    }
    for (const auto& n : m_rows.nodes) {
      if (m_steps.count(n.id)) {
        continue;
      }
      json step = {{"id", n.id},
                   {"kind", n.kind},
                   {"message", n.message},
                   {"user", {{"name", n.user_name}, {"email", n.user_email}}},
                   {"host", n.host},
                   {"time", n.time_end},
                   {"code", code.count(n.id) ? code[n.id] : json::array()}};
      if (!n.command.empty()) {
        step["command"] = json::parse(n.command, nullptr, false);
      }
      if (n.exit_code) {
        step["exit_code"] = *n.exit_code;
      }
      if (!n.git_commit.empty()) {
        step["git"] = {{"commit", n.git_commit}, {"dirty", n.git_dirty}};
      }
      m_steps.emplace(n.id, graph["steps"].size());
      graph["steps"].push_back(std::move(step));
    }
    for (const auto& io : m_rows.io) {
      const bool input = io.direction == "in";
      const std::string producer = input ? io.source : io.node;
      const std::string id = version_id(io.artifact, producer, io.hash);
      if (direction == Direction::up && !input && !read.count(id) &&
          id != root_version) {
        continue;
      }
      if (direction == Direction::down && input && !written.count(id) &&
          id != root_version) {
        continue;
      }
      if (!m_versions.count(id)) {
        auto ordinal = m_rows.ordinals.find(io.artifact + "\n" + producer);
        json version = {
            {"id", id},
            {"artifact", io.artifact},
            {"hash", io.hash},
            {"type", io.type},
            {"size", io.size},
            {"path", io.path},
            {"node", producer.empty() ? json(nullptr) : json(producer)}};
        if (ordinal != m_rows.ordinals.end()) {
          version["version"] = ordinal->second;
        }
        m_versions.insert(id);
        graph["versions"].push_back(std::move(version));
      }
      std::string edge_key =
          (input ? id + "\n" + io.node : io.node + "\n" + id);
      if (m_edges.insert(edge_key).second) {
        graph["edges"].push_back(
            input ? json{{"from", id}, {"to", io.node}, {"kind", "input"}}
                  : json{{"from", io.node}, {"to", id}, {"kind", "output"}});
      }
    }
  }

private:
  const index::Index::LineageRows& m_rows;
  std::unordered_map<std::string, std::size_t> m_steps;
  std::unordered_set<std::string> m_versions;
  std::unordered_set<std::string> m_edges;
};

} // namespace

json
lineage(lake::Lake& lake,
        const std::string& ref,
        const fs::path& cwd,
        const LineageOptions& options)
{
  auto& idx = lake.index();
  lake::Resolved r = lake::resolve_ref(lake, ref, cwd);
  json graph = {{"steps", json::array()},
                {"versions", json::array()},
                {"edges", json::array()}};
  std::string start;
  std::optional<std::string> artifact;
  std::string root_version;
  if (r.kind == lake::Resolved::Kind::node) {
    start = r.node;
    graph["root"] = {{"type", "node"}, {"id", r.node}};
  } else {
    index::VersionRow v =
        r.version ? *r.version : lake::resolve_version(lake, r.artifact, cwd);
    start = v.node;
    artifact = v.artifact;
    root_version = v.artifact + "@" + std::to_string(v.ordinal);
    graph["root"] = {{"type", "version"},
                     {"id", root_version},
                     {"artifact", v.artifact},
                     {"version", v.ordinal},
                     {"hash", v.hash},
                     {"node", v.node}};
  }
  graph["direction"] = options.direction == Direction::up     ? "up"
                       : options.direction == Direction::down ? "down"
                                                              : "both";
  if (options.direction != Direction::down) {
    auto rows = idx.lineage({start}, true, options.depth, std::nullopt);
    GraphBuilder(rows).add(graph, Direction::up, root_version);
  }
  if (options.direction != Direction::up) {
    // Down from a version: the step that recorded it is the start, but
    // only the version itself leads on.
    auto rows = idx.lineage({start}, false, options.depth, artifact);
    GraphBuilder(rows).add(graph, Direction::down, root_version);
  }
  // Both passes may list the start step and its edges: keep each once.
  auto dedupe = [](json& list, auto key) {
    std::set<std::string> seen;
    json out = json::array();
    for (auto& item : list) {
      if (seen.insert(key(item)).second) {
        out.push_back(std::move(item));
      }
    }
    list = std::move(out);
  };
  dedupe(graph["steps"],
         [](const json& s) { return s["id"].get<std::string>(); });
  dedupe(graph["versions"],
         [](const json& v) { return v["id"].get<std::string>(); });
  dedupe(graph["edges"], [](const json& e) {
    return e["from"].get<std::string>() + "\n" + e["to"].get<std::string>();
  });
  return graph;
}

namespace {

struct Index
{
  std::unordered_map<std::string, const json*> steps;
  std::unordered_map<std::string, const json*> versions;
  // For each entity, the entities one step further in each direction.
  std::unordered_map<std::string, std::vector<std::string>> upstream;
  std::unordered_map<std::string, std::vector<std::string>> downstream;

  explicit Index(const json& graph)
  {
    for (const auto& s : graph["steps"]) {
      steps[s["id"].get<std::string>()] = &s;
    }
    for (const auto& v : graph["versions"]) {
      versions[v["id"].get<std::string>()] = &v;
    }
    for (const auto& e : graph["edges"]) {
      std::string from = e["from"], to = e["to"];
      upstream[to].push_back(from);
      downstream[from].push_back(to);
    }
  }
};

std::string
describe_step(const json& s)
{
  std::string text = s["kind"].get<std::string>() + " " +
                     short_hash(s["id"].get<std::string>()) + "  \"" +
                     s["message"].get<std::string>() + "\"  " +
                     s["user"]["name"].get<std::string>();
  util::Micros t;
  if (util::parse_rfc3339(s["time"].get<std::string>(), t)) {
    text += ", " + util::format_human(t);
  }
  if (s.contains("exit_code") && s["exit_code"].get<int>() != 0) {
    text += "  [exit " + std::to_string(s["exit_code"].get<int>()) + "]";
  }
  return text;
}

std::string
describe_version(const json& v)
{
  return v["id"].get<std::string>() + "  (" + v["type"].get<std::string>() +
         ", " + size_text(v["size"].get<std::uint64_t>()) + ", " +
         short_hash(v["hash"].get<std::string>()) + ")";
}

// Depth beyond which a tree is no longer indented, so that a chain of
// 100,000 steps prints 100,000 lines, not a square of spaces.
constexpr std::size_t max_indent = 24;

void
print_tree(const Index& index,
           const std::string& root,
           bool up,
           std::ostringstream& out)
{
  struct Frame
  {
    std::string id;
    std::size_t depth;
    std::string prefix;
    bool last;
  };
  std::unordered_set<std::string> shown;
  std::vector<Frame> stack = {{root, 0, "", true}};
  while (!stack.empty()) {
    Frame f = std::move(stack.back());
    stack.pop_back();
    std::string line;
    if (f.depth > 0) {
      line = f.prefix + (f.last ? "└── " : "├── ");
    }
    auto step = index.steps.find(f.id);
    auto version = index.versions.find(f.id);
    if (step != index.steps.end()) {
      line += describe_step(*step->second);
    } else if (version != index.versions.end()) {
      line += describe_version(*version->second);
    } else {
      line += f.id;
    }
    if (f.depth > max_indent) {
      line += "  [depth " + std::to_string(f.depth) + "]";
    }
    bool repeat = !shown.insert(f.id).second;
    if (repeat) {
      out << line << "  (shown above)\n";
      continue;
    }
    out << line << "\n";
    std::string child_prefix = f.depth == 0 || f.depth > max_indent
                                   ? f.prefix
                                   : f.prefix + (f.last ? "    " : "│   ");
    std::vector<std::string> children;
    const auto& links = up ? index.upstream : index.downstream;
    if (auto it = links.find(f.id); it != links.end()) {
      children = it->second;
    }
    std::vector<std::string> code_lines;
    if (up && step != index.steps.end()) {
      const json& s = *step->second;
      for (const auto& c : s["code"]) {
        code_lines.push_back("code " + c["path"].get<std::string>() + " (" +
                             short_hash(c["hash"].get<std::string>()) + ")");
      }
      if (s.contains("git")) {
        code_lines.push_back(
            "git " + short_hash(s["git"]["commit"].get<std::string>()) +
            (s["git"]["dirty"].get<bool>() ? " with uncommitted changes" : ""));
      }
    }
    std::size_t count = children.size() + code_lines.size();
    std::size_t i = 0;
    for (const auto& c : code_lines) {
      ++i;
      out << child_prefix << (i == count ? "└── " : "├── ") << c << "\n";
    }
    // Pushed in reverse, so that they come off the stack in order.
    for (std::size_t k = children.size(); k-- > 0;) {
      stack.push_back({children[k],
                       f.depth + 1,
                       child_prefix,
                       code_lines.size() + k + 1 == count});
    }
  }
}

std::string
dot_escape(const std::string& text)
{
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
    }
    out.push_back(c == '\n' ? ' ' : c);
  }
  return out;
}

std::string
mermaid_escape(const std::string& text)
{
  std::string out;
  for (char c : text) {
    if (c == '"') {
      out += "#quot;";
    } else if (c == '\n') {
      out += " ";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string
root_id(const json& graph)
{
  return graph["root"]["id"].get<std::string>();
}

} // namespace

std::string
render_text(const json& graph)
{
  Index index(graph);
  std::ostringstream out;
  const std::string direction = graph["direction"];
  if (direction != "down") {
    print_tree(index, root_id(graph), true, out);
  }
  if (direction != "up") {
    if (direction == "both") {
      out << "\nproduced from it:\n";
    }
    print_tree(index, root_id(graph), false, out);
  }
  return out.str();
}

std::string
render_dot(const json& graph)
{
  std::ostringstream out;
  out << "digraph lineage {\n"
      << "  rankdir=LR;\n"
      << "  node [fontname=\"Helvetica\", fontsize=10];\n";
  const std::string root = root_id(graph);
  for (const auto& v : graph["versions"]) {
    std::string id = v["id"];
    out << "  \"" << dot_escape(id) << "\" [shape=ellipse, label=\""
        << dot_escape(id) << "\\n"
        << size_text(v["size"].get<std::uint64_t>()) << "\""
        << (id == root ? ", style=bold" : "") << "];\n";
  }
  for (const auto& s : graph["steps"]) {
    std::string id = s["id"];
    out << "  \"" << id << "\" [shape=box, style=\"rounded,filled\", "
        << "fillcolor=\"#e8eefc\", label=\""
        << dot_escape(s["kind"].get<std::string>() + " " + short_hash(id))
        << "\\n"
        << dot_escape(s["message"].get<std::string>()) << "\"];\n";
  }
  for (const auto& e : graph["edges"]) {
    out << "  \"" << dot_escape(e["from"]) << "\" -> \"" << dot_escape(e["to"])
        << "\";\n";
  }
  out << "}\n";
  return out.str();
}

std::string
render_mermaid(const json& graph)
{
  std::ostringstream out;
  out << "flowchart LR\n";
  std::unordered_map<std::string, std::string> ids;
  std::size_t n = 0;
  for (const auto& v : graph["versions"]) {
    std::string id = "v" + std::to_string(n++);
    ids[v["id"]] = id;
    out << "  " << id << "([\"" << mermaid_escape(v["id"]) << "\"])\n";
  }
  for (const auto& s : graph["steps"]) {
    std::string id = "s" + std::to_string(n++);
    ids[s["id"]] = id;
    out << "  " << id << "[\""
        << mermaid_escape(s["kind"].get<std::string>() + " " +
                          short_hash(s["id"]) + ": " +
                          s["message"].get<std::string>())
        << "\"]\n";
  }
  for (const auto& e : graph["edges"]) {
    out << "  " << ids[e["from"]] << " --> " << ids[e["to"]] << "\n";
  }
  return out.str();
}

} // namespace mlake::lineage
