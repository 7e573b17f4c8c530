#include <mlake/governance/search.hpp>
#include <mlake/lake/lake.hpp>
#include <mlake/util/error.hpp>

#include <cmath>

namespace mlake::governance {

namespace {

// The user's words as an FTS5 expression: each word quoted (so that no
// character of it is FTS5 syntax) and a prefix; all of them must match.
std::string
fts_expression(const std::string& text)
{
  std::string out;
  std::string word;
  auto flush = [&] {
    if (word.empty()) {
      return;
    }
    out += (out.empty() ? "\"" : " \"") + word + "\"*";
    word.clear();
  };
  for (unsigned char c : text) {
    if (std::isalnum(c) || c >= 0x80) {
      word += static_cast<char>(c);
    } else {
      flush();
    }
  }
  flush();
  return out;
}

double
parse_number(const std::string& text, const std::string& what)
{
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  // Decimal only: std::stod would also read hex ("0x10").
  if (text.empty() || used != text.size() || !std::isfinite(value) ||
      text.find_first_not_of("0123456789+-.eE") != std::string::npos) {
    throw Error(Exit::usage,
                what + ": " + quote(text) + " is not a number",
                "e.g. --metric 'accuracy>=0.9'");
  }
  return value;
}

index::SearchQuery::Metric
parse_metric(const std::string& text)
{
  auto at = text.find_first_of("<>=!");
  if (at == std::string::npos || at == 0) {
    throw Error(Exit::usage,
                "--metric " + quote(text) + " is not KEY<op>NUMBER",
                "e.g. --metric 'accuracy>=0.9' (ops: < <= = != >= >)");
  }
  std::size_t end = at;
  while (end < text.size() &&
         std::string("<>=!").find(text[end]) != std::string::npos) {
    ++end;
  }
  std::string op = text.substr(at, end - at);
  if (op == "==") {
    op = "=";
  }
  if (op != "<" && op != "<=" && op != "=" && op != ">=" && op != ">" &&
      op != "!=") {
    throw Error(Exit::usage,
                "--metric " + quote(text) + ": unknown comparison " + quote(op),
                "use one of < <= = != >= >");
  }
  index::SearchQuery::Metric m;
  m.key = text.substr(0, at);
  m.op = op;
  m.value = parse_number(text.substr(end), "--metric " + quote(text));
  return m;
}

json
artifact_result(index::Index& idx, const index::SearchHit& hit)
{
  json out = {{"type", "artifact"}, {"name", hit.target}, {"kind", hit.kind}};
  if (auto a = idx.artifact(hit.target)) {
    out["description"] = a->field("description");
    out["owner"] = a->field("owner");
    out["security"] = a->field("security", "internal");
    out["tags"] = a->tags;
    out["versions"] = a->version_count;
    if (a->latest) {
      out["latest"] = {{"version", a->latest->ordinal},
                       {"hash", a->latest->hash},
                       {"time", a->latest->time}};
    } else {
      out["latest"] = nullptr;
    }
  }
  return out;
}

json
node_result(index::Index& idx, const index::SearchHit& hit)
{
  json out = {{"type", "node"}, {"id", hit.target}, {"kind", hit.kind}};
  if (auto n = idx.node(hit.target)) {
    out["message"] = n->message;
    out["study"] = n->study;
    out["analysis"] = n->analysis;
    out["task"] = n->task;
    out["user"] = {{"name", n->user_name}, {"email", n->user_email}};
    out["time"] = n->time_end;
  }
  json outputs = json::array();
  for (const auto& io : idx.node_io(hit.target)) {
    if (io.direction == "out") {
      outputs.push_back(io.artifact);
    }
  }
  out["outputs"] = outputs;
  return out;
}

} // namespace

json
search(lake::Lake& lake, const SearchOptions& options)
{
  index::SearchQuery query;
  if (options.text) {
    query.match = fts_expression(*options.text);
    if (query.match.empty()) {
      throw Error(Exit::usage,
                  "search text " + quote(*options.text) + " has no words",
                  "give words to find, or only filters");
    }
  }
  query.kind = options.kind;
  query.tag = options.tag;
  query.owner = options.owner;
  query.study = options.study;
  for (const auto& text : options.params) {
    auto eq = text.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw Error(Exit::usage,
                  "--param " + quote(text) + " is not KEY=VALUE",
                  "e.g. --param lr=0.1 or --param optimizer=adam");
    }
    query.params.emplace_back(text.substr(0, eq), text.substr(eq + 1));
  }
  for (const auto& text : options.metrics) {
    query.metrics.push_back(parse_metric(text));
  }
  if (options.limit < 1) {
    throw Error(Exit::usage, "--limit must be at least 1");
  }
  query.limit = options.limit;

  auto& idx = lake.index();
  json results = json::array();
  for (const auto& hit : idx.search(query)) {
    json r = hit.type == "artifact" ? artifact_result(idx, hit)
                                    : node_result(idx, hit);
    // bm25 is lower for a better match; people read higher as better.
    r["score"] = query.match.empty() ? 0.0 : -hit.score;
    results.push_back(std::move(r));
  }
  return {{"query", options.text ? json(*options.text) : json(nullptr)},
          {"results", results}};
}

} // namespace mlake::governance
