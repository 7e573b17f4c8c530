#include <mlake/lake/erasure.hpp>
#include <mlake/lake/lake.hpp>
#include <mlake/lake/refs.hpp>
#include <mlake/lineage/graph.hpp>
#include <mlake/util/text.hpp>
#include <mlake/util/time.hpp>

#include <algorithm>
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

// Adds what one walk of the index found to the graph, each step, version
// and edge once.
class GraphBuilder
{
public:
  explicit GraphBuilder(Graph& graph) : m_graph(graph) {}

  void
  add(const index::Index::LineageRows& rows, Direction direction)
  {
    auto ordinal = [&](const std::string& artifact, const std::string& node) {
      auto it = rows.ordinals.find(artifact + "\n" + node);
      return it == rows.ordinals.end() ? 0 : it->second;
    };
    auto version_id = [&](const index::IoRow& io, const std::string& node) {
      int n = ordinal(io.artifact, node);
      // An input whose recording node this lake does not know is named by
      // its content.
      return io.artifact + "@" + (n ? std::to_string(n) : short_hash(io.hash));
    };
    // An up graph shows a step's outputs only where they lead to the
    // root; a down graph a step's inputs only where they come from it.
    std::unordered_set<std::string> read, written;
    for (const auto& io : rows.io) {
      if (io.direction == "in") {
        read.insert(version_id(io, io.source));
      } else {
        written.insert(version_id(io, io.node));
      }
    }
    std::unordered_map<std::string, std::vector<Step::Code>> code;
    for (const auto& c : rows.code) {
      code[c.node].push_back({c.path, c.hash, c.size});
    }
    for (const auto& n : rows.nodes) {
      if (!m_steps.insert(n.id).second) {
        continue;
      }
      Step step;
      step.id = n.id;
      step.kind = n.kind;
      step.message = n.message;
      step.user_name = n.user_name;
      step.user_email = n.user_email;
      step.host = n.host;
      step.time = n.time_end;
      step.command = n.command;
      step.exit_code = n.exit_code;
      step.git_commit = n.git_commit;
      step.git_dirty = n.git_dirty;
      if (auto it = code.find(n.id); it != code.end()) {
        step.code = std::move(it->second);
      }
      m_graph.steps.push_back(std::move(step));
    }
    for (const auto& io : rows.io) {
      const bool input = io.direction == "in";
      const std::string& producer = input ? io.source : io.node;
      std::string id = version_id(io, producer);
      if (direction == Direction::up && !input && !read.count(id) &&
          id != m_graph.root) {
        continue;
      }
      if (direction == Direction::down && input && !written.count(id) &&
          id != m_graph.root) {
        continue;
      }
      if (m_versions.insert(id).second) {
        Version v;
        v.id = id;
        v.artifact = io.artifact;
        v.version = ordinal(io.artifact, producer);
        v.hash = io.hash;
        v.type = io.type;
        v.size = io.size;
        v.path = io.path;
        v.node = producer;
        m_graph.versions.push_back(std::move(v));
      }
      std::string key = input ? id + "\n" + io.node : io.node + "\n" + id;
      if (m_edges.insert(std::move(key)).second) {
        m_graph.edges.push_back(input ? Edge{id, io.node, true}
                                      : Edge{io.node, id, false});
      }
    }
  }

private:
  Graph& m_graph;
  std::unordered_set<std::string> m_steps;
  std::unordered_set<std::string> m_versions;
  std::unordered_set<std::string> m_edges;
};

} // namespace

namespace {

// Purged versions, and what the edges lead to from them: the steps that
// read them and what those steps wrote. With `ask_root`, the root's taint
// comes from the index, as what taints it lies outside the graph.
void
mark_taint(lake::Lake& lake,
           Graph& graph,
           const std::string& root_artifact,
           const std::string& root_node,
           bool ask_root)
{
  const lake::Erasure erasure = lake::load_purges(lake);
  if (erasure.empty()) {
    return;
  }
  std::unordered_map<std::string_view, Version*> versions;
  std::unordered_map<std::string_view, Step*> steps;
  for (auto& v : graph.versions) {
    versions[v.id] = &v;
  }
  for (auto& s : graph.steps) {
    steps[s.id] = &s;
  }
  std::unordered_map<std::string_view, std::vector<std::string_view>> next;
  for (const auto& e : graph.edges) {
    next[e.from].push_back(e.to);
  }
  std::vector<std::string_view> todo;
  for (auto& v : graph.versions) {
    if (!v.node.empty() && erasure.purged(v.artifact, v.node)) {
      v.taint = "purged";
      todo.push_back(v.id);
    }
  }
  if (ask_root &&
      !lake::taint_of(lake.index(), erasure, root_artifact, root_node)
           .empty()) {
    if (graph.root_is_version) {
      graph.root_version.taint =
          erasure.purged(root_artifact, root_node) ? "purged" : "tainted";
    }
    todo.push_back(graph.root);
  }
  std::unordered_set<std::string_view> seen(todo.begin(), todo.end());
  while (!todo.empty()) {
    std::string_view id = todo.back();
    todo.pop_back();
    if (auto v = versions.find(id); v != versions.end()) {
      if (v->second->taint.empty()) {
        v->second->taint = "tainted";
      }
    } else if (auto s = steps.find(id); s != steps.end()) {
      // A purge reads what it erased; it is the record, not made from it.
      if (s->second->kind == "purge") {
        continue;
      }
      s->second->tainted = true;
    }
    if (auto it = next.find(id); it != next.end()) {
      for (auto to : it->second) {
        if (seen.insert(to).second) {
          todo.push_back(to);
        }
      }
    }
  }
  if (auto root = versions.find(graph.root); root != versions.end()) {
    if (!root->second->taint.empty()) {
      graph.root_version.taint = root->second->taint;
    }
  }
}

} // namespace

Graph
lineage(lake::Lake& lake,
        const std::string& ref,
        const fs::path& cwd,
        const LineageOptions& options)
{
  auto& idx = lake.index();
  lake::Resolved r = lake::resolve_ref(lake, ref, cwd);
  Graph graph;
  graph.direction = options.direction;
  std::string start;
  std::optional<std::string> artifact;
  if (r.kind == lake::Resolved::Kind::node) {
    start = r.node;
    graph.root = r.node;
  } else {
    index::VersionRow v =
        r.version ? *r.version : lake::resolve_version(lake, r.artifact, cwd);
    start = v.node;
    artifact = v.artifact;
    graph.root_is_version = true;
    graph.root = v.artifact + "@" + std::to_string(v.ordinal);
    graph.root_version = {graph.root,
                          v.artifact,
                          v.ordinal,
                          v.hash,
                          v.type,
                          v.size,
                          v.path,
                          v.node,
                          ""};
  }
  GraphBuilder builder(graph);
  if (options.direction != Direction::down) {
    builder.add(idx.lineage({start}, true, options.depth, std::nullopt),
                Direction::up);
  }
  if (options.direction != Direction::up) {
    // Down from a version: the step that recorded it is the start, but
    // only the version itself leads on.
    builder.add(idx.lineage({start}, false, options.depth, artifact),
                Direction::down);
  }
  // A graph up to the sources holds all that can taint its root.
  const bool whole_upstream =
      options.direction != Direction::down && options.depth < 0;
  mark_taint(lake, graph, artifact.value_or(""), start, !whole_upstream);
  return graph;
}

namespace {

const char*
direction_name(Direction d)
{
  return d == Direction::up ? "up" : d == Direction::down ? "down" : "both";
}

// Appends JSON text by hand: nlohmann::json allocates a map per object,
// which dominates the time for graphs of 100,000 steps.
class Writer
{
public:
  std::string out;

  Writer&
  raw(std::string_view text)
  {
    out.append(text);
    return *this;
  }
  Writer&
  str(std::string_view text)
  {
    util::append_json_string(out, text);
    return *this;
  }
  Writer&
  key(std::string_view name)
  {
    str(name);
    out.push_back(':');
    return *this;
  }
  Writer&
  num(std::uint64_t n)
  {
    out.append(std::to_string(n));
    return *this;
  }
};

void
write_version(Writer& w, const Version& v)
{
  w.raw("{").key("id").str(v.id).raw(",").key("artifact").str(v.artifact);
  w.raw(",").key("version");
  if (v.version) {
    w.num(static_cast<std::uint64_t>(v.version));
  } else {
    w.raw("null");
  }
  w.raw(",").key("hash").str(v.hash).raw(",").key("type").str(v.type);
  w.raw(",").key("size").num(v.size).raw(",").key("path").str(v.path);
  w.raw(",").key("node");
  if (v.node.empty()) {
    w.raw("null");
  } else {
    w.str(v.node);
  }
  w.raw(",").key("taint");
  if (v.taint.empty()) {
    w.raw("null");
  } else {
    w.str(v.taint);
  }
  w.raw("}");
}

} // namespace

std::string
render_json(const Graph& graph)
{
  Writer w;
  w.out.reserve(256 + graph.steps.size() * 400 + graph.versions.size() * 250 +
                graph.edges.size() * 120);
  w.raw("{").key("direction").str(direction_name(graph.direction));
  w.raw(",").key("root");
  if (graph.root_is_version) {
    w.raw("{").key("type").str("version").raw(",").key("id").str(graph.root);
    w.raw(",").key("artifact").str(graph.root_version.artifact);
    w.raw(",").key("version").num(
        static_cast<std::uint64_t>(graph.root_version.version));
    w.raw(",").key("hash").str(graph.root_version.hash);
    w.raw(",").key("node").str(graph.root_version.node);
    w.raw(",").key("taint");
    if (graph.root_version.taint.empty()) {
      w.raw("null");
    } else {
      w.str(graph.root_version.taint);
    }
    w.raw("}");
  } else {
    w.raw("{").key("type").str("node").raw(",").key("id").str(graph.root);
    w.raw("}");
  }
  w.raw(",").key("steps").raw("[");
  for (std::size_t i = 0; i < graph.steps.size(); ++i) {
    const Step& s = graph.steps[i];
    w.raw(i ? ",{" : "{").key("id").str(s.id);
    w.raw(",").key("kind").str(s.kind).raw(",").key("message").str(s.message);
    w.raw(",").key("user").raw("{").key("name").str(s.user_name);
    w.raw(",").key("email").str(s.user_email).raw("}");
    w.raw(",").key("host").str(s.host).raw(",").key("time").str(s.time);
    if (!s.command.empty()) {
      w.raw(",").key("command").raw(s.command);
    }
    if (s.exit_code) {
      w.raw(",").key("exit_code").raw(std::to_string(*s.exit_code));
    }
    if (!s.git_commit.empty()) {
      w.raw(",").key("git").raw("{").key("commit").str(s.git_commit);
      w.raw(",").key("dirty").raw(s.git_dirty ? "true" : "false").raw("}");
    }
    w.raw(",").key("tainted").raw(s.tainted ? "true" : "false");
    w.raw(",").key("code").raw("[");
    for (std::size_t k = 0; k < s.code.size(); ++k) {
      w.raw(k ? ",{" : "{").key("path").str(s.code[k].path);
      w.raw(",").key("hash").str(s.code[k].hash);
      w.raw(",").key("size").num(s.code[k].size).raw("}");
    }
    w.raw("]}");
  }
  w.raw("],").key("versions").raw("[");
  for (std::size_t i = 0; i < graph.versions.size(); ++i) {
    w.raw(i ? "," : "");
    write_version(w, graph.versions[i]);
  }
  w.raw("],").key("edges").raw("[");
  for (std::size_t i = 0; i < graph.edges.size(); ++i) {
    const Edge& e = graph.edges[i];
    w.raw(i ? ",{" : "{").key("from").str(e.from).raw(",").key("to").str(e.to);
    w.raw(",").key("kind").str(e.input ? "input" : "output").raw("}");
  }
  w.raw("]}\n");
  return std::move(w.out);
}

json
to_json(const Graph& graph)
{
  return json::parse(render_json(graph));
}

namespace {

// Where to go from each entity, in each direction.
struct Links
{
  std::unordered_map<std::string_view, const Step*> steps;
  std::unordered_map<std::string_view, const Version*> versions;
  std::unordered_map<std::string_view, std::vector<std::string_view>> up;
  std::unordered_map<std::string_view, std::vector<std::string_view>> down;

  explicit Links(const Graph& graph)
  {
    for (const auto& s : graph.steps) {
      steps[s.id] = &s;
    }
    for (const auto& v : graph.versions) {
      versions[v.id] = &v;
    }
    for (const auto& e : graph.edges) {
      up[e.to].push_back(e.from);
      down[e.from].push_back(e.to);
    }
  }
};

std::string
describe_step(const Step& s)
{
  std::string text = s.kind + " " + short_hash(s.id) + "  \"" + s.message +
                     "\"  " + s.user_name;
  util::Micros t;
  if (util::parse_rfc3339(s.time, t)) {
    text += ", " + util::format_human(t);
  }
  if (s.exit_code && *s.exit_code != 0) {
    text += "  [exit " + std::to_string(*s.exit_code) + "]";
  }
  if (s.tainted) {
    text += "  [tainted]";
  }
  return text;
}

std::string
describe_version(const Version& v)
{
  return v.id + "  (" + v.type + ", " + util::human_size(v.size) + ", " +
         short_hash(v.hash) + ")" +
         (v.taint.empty() ? "" : "  [" + v.taint + "]");
}

// Depth beyond which a tree is no longer indented, so that a chain of
// 100,000 steps prints 100,000 lines, not a square of spaces.
constexpr std::size_t max_indent = 24;

void
print_tree(const Links& links,
           const std::string& root,
           bool up,
           std::string& out)
{
  struct Frame
  {
    std::string_view id;
    std::size_t depth;
    std::string prefix;
    bool last;
  };
  std::unordered_set<std::string_view> shown;
  std::vector<Frame> stack = {{root, 0, "", true}};
  while (!stack.empty()) {
    Frame f = std::move(stack.back());
    stack.pop_back();
    if (f.depth > 0) {
      out += f.prefix;
      out += f.last ? "└── " : "├── ";
    }
    auto step = links.steps.find(f.id);
    auto version = links.versions.find(f.id);
    if (step != links.steps.end()) {
      out += describe_step(*step->second);
    } else if (version != links.versions.end()) {
      out += describe_version(*version->second);
    } else {
      out += f.id;
    }
    if (f.depth > max_indent) {
      out += "  [depth " + std::to_string(f.depth) + "]";
    }
    if (!shown.insert(f.id).second) {
      out += "  (shown above)\n";
      continue;
    }
    out += "\n";
    std::string child_prefix = f.depth == 0 || f.depth > max_indent
                                   ? f.prefix
                                   : f.prefix + (f.last ? "    " : "│   ");
    const auto& next = up ? links.up : links.down;
    std::vector<std::string_view> children;
    if (auto it = next.find(f.id); it != next.end()) {
      children = it->second;
    }
    std::vector<std::string> code_lines;
    if (up && step != links.steps.end()) {
      const Step& s = *step->second;
      for (const auto& c : s.code) {
        code_lines.push_back("code " + c.path + " (" + short_hash(c.hash) +
                             ")");
      }
      if (!s.git_commit.empty()) {
        code_lines.push_back("git " + short_hash(s.git_commit) +
                             (s.git_dirty ? " with uncommitted changes" : ""));
      }
    }
    std::size_t count = children.size() + code_lines.size();
    std::size_t i = 0;
    for (const auto& c : code_lines) {
      ++i;
      out += child_prefix + (i == count ? "└── " : "├── ") + c + "\n";
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
dot_escape(std::string_view text)
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
mermaid_escape(std::string_view text)
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

} // namespace

std::string
render_text(const Graph& graph)
{
  Links links(graph);
  std::string out;
  if (graph.direction != Direction::down) {
    print_tree(links, graph.root, true, out);
  }
  if (graph.direction != Direction::up) {
    if (graph.direction == Direction::both) {
      out += "\nproduced from it:\n";
    }
    print_tree(links, graph.root, false, out);
  }
  return out;
}

std::string
render_dot(const Graph& graph)
{
  std::string out = "digraph lineage {\n  rankdir=LR;\n"
                    "  node [fontname=\"Helvetica\", fontsize=10];\n";
  for (const auto& v : graph.versions) {
    out += "  \"" + dot_escape(v.id) + "\" [shape=ellipse, label=\"" +
           dot_escape(v.id) + "\\n" + util::human_size(v.size) +
           (v.taint.empty() ? "" : " (" + v.taint + ")") + "\"" +
           (v.id == graph.root ? ", style=bold" : "") +
           (v.taint == "purged"    ? ", color=red, fontcolor=red"
            : v.taint == "tainted" ? ", color=darkorange"
                                   : "") +
           "];\n";
  }
  for (const auto& s : graph.steps) {
    out += "  \"" + s.id +
           "\" [shape=box, style=\"rounded,filled\", fillcolor=\"#e8eefc\", "
           "label=\"" +
           dot_escape(s.kind + " " + short_hash(s.id)) + "\\n" +
           dot_escape(s.message) + "\"" +
           (s.id == graph.root ? ", penwidth=2" : "") +
           (s.tainted ? ", color=darkorange" : "") + "];\n";
  }
  for (const auto& e : graph.edges) {
    out +=
        "  \"" + dot_escape(e.from) + "\" -> \"" + dot_escape(e.to) + "\";\n";
  }
  out += "}\n";
  return out;
}

std::string
render_mermaid(const Graph& graph)
{
  std::string out = "flowchart LR\n";
  std::unordered_map<std::string_view, std::string> ids;
  std::size_t n = 0;
  for (const auto& v : graph.versions) {
    std::string id = "v" + std::to_string(n++);
    out += "  " + id + "([\"" + mermaid_escape(v.id) + "\"])\n";
    ids[v.id] = std::move(id);
  }
  for (const auto& s : graph.steps) {
    std::string id = "s" + std::to_string(n++);
    out += "  " + id + "[\"" +
           mermaid_escape(s.kind + " " + short_hash(s.id) + ": " + s.message) +
           "\"]\n";
    ids[s.id] = std::move(id);
  }
  for (const auto& e : graph.edges) {
    out += "  " + ids[e.from] + " --> " + ids[e.to] + "\n";
  }
  std::string purged, tainted;
  auto add = [](std::string& list, const std::string& id) {
    list += (list.empty() ? "" : ",") + id;
  };
  for (const auto& v : graph.versions) {
    if (v.taint == "purged") {
      add(purged, ids[v.id]);
    } else if (v.taint == "tainted") {
      add(tainted, ids[v.id]);
    }
  }
  for (const auto& s : graph.steps) {
    if (s.tainted) {
      add(tainted, ids[s.id]);
    }
  }
  if (!purged.empty()) {
    out += "  classDef purged fill:#f8d7da,stroke:#c00\n";
    out += "  class " + purged + " purged\n";
  }
  if (!tainted.empty()) {
    out += "  classDef tainted fill:#fff3cd,stroke:#e69500\n";
    out += "  class " + tainted + " tainted\n";
  }
  return out;
}

} // namespace mlake::lineage
