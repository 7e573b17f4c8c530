#include <mlake/lake/query.hpp>

#include <iostream>
#include <sstream>

#include "cli.hpp"
#include "output.hpp"

namespace mlake::cli {

namespace {

std::string
join(const json& list)
{
  std::string out;
  for (const auto& item : list) {
    out += (out.empty() ? "" : ", ") + printable(item.get<std::string>());
  }
  return out;
}

// Aliases, then promotions and approvals oldest first.
// Why a version or node cannot be trusted: its content was erased, or
// something upstream of it was.
void
print_taint(const json& taint)
{
  if (!taint.is_object() || taint["by"].empty()) {
    return;
  }
  for (const auto& by : taint["by"]) {
    const bool itself = taint["purged"].get<bool>();
    std::cout << (itself && by["role"] == "affected"
                      ? "Purged  content it shared with a purged version "
                        "erased on "
                  : itself ? "Purged  content erased on "
                           : "Tainted made from " +
                                 printable(by["ref"].get<std::string>()) +
                                 ", erased on ")
              << human_time(by["time"]) << " by "
              << printable(by["user"].get<std::string>()) << " (purge "
              << short_id(by["purge"])
              << "): " << printable(by["reason"].get<std::string>()) << "\n";
  }
}

void
print_governance(const json& g)
{
  auto ref = [](const json& version) {
    return version.is_null() ? std::string("@?")
                             : "@" + std::to_string(version.get<int>());
  };
  if (g["aliases"].is_object() && !g["aliases"].empty()) {
    std::cout << "\naliases\n";
    for (const auto& [alias, target] : g["aliases"].items()) {
      std::cout << "  " << pad(printable(alias), 12) << ref(target["version"])
                << "\n";
    }
  }
  if (!g["promotions"].empty() || !g["approvals"].empty()) {
    std::cout << "\ngovernance\n";
  }
  for (const auto& p : g["promotions"]) {
    std::cout << "  " << human_time(p["time"]) << "  promoted "
              << ref(p["version"]) << " to "
              << printable(p["alias"].get<std::string>())
              << (p["forced"].get<bool>() ? " (forced)" : "") << "  ("
              << printable(p["user"].get<std::string>()) << ": "
              << printable(p["message"].get<std::string>()) << ")\n";
  }
  for (const auto& a : g["approvals"]) {
    std::cout << "  " << human_time(a["time"]) << "  "
              << (a["decision"] == "approve" ? "approved " : "revoked  ")
              << ref(a["version"]) << "  ("
              << printable(a["user"]["name"].get<std::string>()) << ": "
              << printable(a["message"].get<std::string>()) << ")\n";
  }
}

void
print_artifact(const json& a)
{
  auto field = [&](const char* label, const std::string& value) {
    std::cout << pad(label, 13) << or_dash(printable(value)) << "\n";
  };
  field("artifact", a["name"]);
  field("kind", a["kind"]);
  field("path", a["path"]);
  field("description", a["description"]);
  field("owner", a["owner"]);
  field("security", a["security"]);
  field("tags", join(a["tags"]));
  field("created",
        human_time(a["created"]) + " by node " +
            short_id(a["created_by"].get<std::string>()));
  std::cout << "\nversions (" << a["versions"].get<int>() << ")\n";
  for (const auto& v : a["history"]) {
    std::cout << "  @" << pad(std::to_string(v["version"].get<int>()), 4)
              << short_id(v["hash"]) << "  " << pad(human_size(v["size"]), 10)
              << human_time(v["time"]) << "  "
              << printable(v["user"]["name"].get<std::string>()) << ": "
              << printable(v["message"].get<std::string>());
    if (v.value("purged", false)) {
      std::cout << "  [purged]";
    } else if (v.value("tainted", false)) {
      std::cout << "  [tainted]";
    }
    if (v.contains("model_verdict") && v["model_verdict"] != "safe") {
      std::cout << "  [model " << v["model_verdict"].get<std::string>()
                << ": see mlake show "
                << printable(a["name"].get<std::string>()) << "@"
                << v["version"].get<int>() << "]";
    }
    std::cout << "\n";
  }
  print_governance(a["governance"]);
  if (!a["metadata_history"].empty()) {
    std::cout << "\nmetadata changes\n";
    for (const auto& c : a["metadata_history"]) {
      std::cout << "  " << human_time(c["time"]) << "  "
                << printable(c["field"].get<std::string>()) << " = "
                << printable(c["value"].get<std::string>()) << "  ("
                << printable(c["user"].get<std::string>()) << ": "
                << printable(c["message"].get<std::string>()) << ")\n";
    }
  }
}

std::string
number(const json& value)
{
  if (!value.is_number()) {
    return "-";
  }
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.6g", value.get<double>());
  return buffer;
}

void
print_metafeatures(const json& mf)
{
  if (mf.contains("error")) {
    std::cout << "Data   no metafeatures: "
              << printable(mf["error"].get<std::string>()) << "\n";
    return;
  }
  std::cout << "Data   " << mf.value("rows", 0) << " rows, "
            << mf.value("columns", 0) << " columns ("
            << mf.value("format", std::string("csv")) << ")\n";
  for (const auto& c : mf.value("columns_info", json::array())) {
    std::string line = "       " +
                       pad(printable(c.value("name", std::string("?"))), 18) +
                       pad(c.value("type", std::string("?")), 9) + "missing " +
                       std::to_string(c.value("missing", 0)) + ", distinct " +
                       (c.value("distinct_estimated", false) ? "~" : "") +
                       std::to_string(c.value("distinct", 0));
    if (c.contains("min")) {
      line += ", " + number(c["min"]) + ".." + number(c["max"]) + " mean " +
              number(c["mean"]) + " std " + number(c["std"]);
    } else if (c.contains("top") && !c["top"].empty()) {
      line += ", top ";
      std::size_t shown = 0;
      for (const auto& t : c["top"]) {
        if (shown++ == 3) {
          break;
        }
        line += (shown > 1 ? ", " : "") +
                printable(t["value"].get<std::string>()) + " (" +
                std::to_string(t["count"].get<long long>()) + ")";
      }
    }
    std::cout << line << "\n";
  }
  if (mf.contains("target") && mf["target"].is_object()) {
    std::cout << "       classes of "
              << printable(mf["target"].value("column", "?")) << ":";
    for (const auto& k : mf["target"].value("classes", json::array())) {
      char share[16];
      std::snprintf(
          share, sizeof(share), "%.0f%%", 100 * k.value("share", 0.0));
      std::cout << " " << printable(k["value"].get<std::string>()) << " "
                << share;
    }
    std::cout << "\n";
  }
}

std::string
count(const json& value, const char* one, const char* many)
{
  auto n = value.is_number() ? value.get<std::uint64_t>() : 0;
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// A model inspection: what the file holds, the verdict, and a warning
// line for each import that is not known to be safe.
void
print_model(const json& m, const std::string& name)
{
  const std::string format = m.value("format", std::string("?"));
  std::string line = format;
  if (format == "safetensors") {
    line += ", " + count(m.value("tensor_count", json()), "tensor", "tensors") +
            ", " +
            count(m.value("parameters", json()), "parameter", "parameters");
    if (m.contains("dtypes") && m["dtypes"].is_object()) {
      std::string dtypes;
      for (const auto& [dtype, n] : m["dtypes"].items()) {
        dtypes +=
            (dtypes.empty() ? "" : ", ") + printable(dtype) + " " + n.dump();
      }
      line += " (" + dtypes + ")";
    }
  } else if (format == "gguf") {
    line += " v" + m.value("version", json(0)).dump();
    const json meta = m.value("metadata", json::object());
    if (meta.contains("general.architecture") &&
        meta["general.architecture"].is_string()) {
      line += ", " + printable(meta["general.architecture"].get<std::string>());
    }
    if (meta.contains("general.name") && meta["general.name"].is_string()) {
      line += " '" + printable(meta["general.name"].get<std::string>()) + "'";
    }
    line += ", " + count(m.value("tensor_count", json()), "tensor", "tensors");
    if (m.contains("parameters")) {
      line += ", " +
              count(m.value("parameters", json()), "parameter", "parameters");
    }
    line += ", " + count(m.value("metadata_count", json()),
                         "metadata key",
                         "metadata keys");
  } else if (m.contains("imports")) {
    if (m.contains("protocol")) {
      line += ", protocol " + m["protocol"].dump();
    }
    if (m.contains("tensors")) {
      line += ", " + count(m.value("tensors", json()), "tensor", "tensors");
    }
    if (m.contains("parameters")) {
      line += ", " +
              count(m.value("parameters", json()), "parameter", "parameters");
    }
    if (m.contains("arrays")) {
      line += ", " + count(m.value("arrays", json()), "array", "arrays");
    }
    line += ", " + count(json(m["imports"].size()), "import", "imports");
  }
  std::cout << "Model  " << line << "\n";
  if (m.contains("metadata") && m["metadata"].is_object() &&
      format == "safetensors") {
    std::string meta;
    for (const auto& [key, value] : m["metadata"].items()) {
      meta += (meta.empty() ? "" : ", ") + printable(key) + "=" +
              printable(value.is_string() ? value.get<std::string>()
                                          : value.dump());
    }
    std::cout << "       metadata " << meta << "\n";
  }
  if (m.contains("imports") && !m["imports"].empty()) {
    std::string imports;
    std::size_t n = 0;
    for (const auto& i : m["imports"]) {
      if (n++ == 8) {
        imports += ", ...";
        break;
      }
      imports +=
          (imports.empty() ? "" : ", ") + printable(i.get<std::string>());
    }
    std::cout << "       imports " << imports << "\n";
  }
  for (const auto& note : m.value("notes", json::array())) {
    std::cout << "       note: " << printable(note.get<std::string>()) << "\n";
  }
  std::cout << "       verdict " << m.value("verdict", std::string("?"))
            << "\n";
  for (const auto& warning : model_warnings(m, name)) {
    std::cout << warning << "\n";
  }
}

void
print_version(const json& v)
{
  const json& what = v["what"];
  std::cout << printable(v["artifact"].get<std::string>()) << "@"
            << v["version"].get<int>() << "  (version "
            << v["version"].get<int>() << " of " << v["versions"].get<int>()
            << ")\n\n";
  std::string shape =
      what["kind"].get<std::string>() + ", " + what["type"].get<std::string>();
  if (what["type"] == "dir") {
    shape +=
        " of " + std::to_string(what["files"].get<std::uint64_t>()) + " files";
  } else if (what.value("exec", false)) {
    shape += " (executable)";
  }
  std::cout << "What   " << shape << ", " << human_size(what["size"])
            << "\n       sha256 " << what["hash"].get<std::string>()
            << (what["stored"].get<bool>() ? ""
                                           : "  (content not in this lake)")
            << "\n       security " << what["security"].get<std::string>()
            << ", owner "
            << or_dash(printable(what["owner"].get<std::string>())) << ", tags "
            << or_dash(join(what["tags"])) << "\n";
  if (v.contains("current")) {
    const json& now = v["current"];
    if (now["security"] != what["security"] || now["owner"] != what["owner"] ||
        now["tags"] != what["tags"] || now["kind"] != what["kind"] ||
        now["description"] != what["description"]) {
      std::cout << "       (now: " << now["kind"].get<std::string>()
                << ", security " << now["security"].get<std::string>()
                << ", owner "
                << or_dash(printable(now["owner"].get<std::string>()))
                << ", tags " << or_dash(join(now["tags"])) << ")\n";
      if (now["description"] != what["description"]) {
        std::cout << "       (now described as: "
                  << or_dash(printable(now["description"].get<std::string>()))
                  << ")\n";
      }
    }
  }
  if (!what["description"].get<std::string>().empty()) {
    std::cout << "       " << printable(what["description"].get<std::string>())
              << "\n";
  }
  if (what.contains("metafeatures") && what["metafeatures"].contains("model")) {
    print_model(what["metafeatures"]["model"],
                v["where"]["path"].get<std::string>());
  } else if (what.contains("metafeatures")) {
    print_metafeatures(what["metafeatures"]);
  }
  std::cout << "Who    " << printable(v["who"]["name"].get<std::string>())
            << " <" << printable(v["who"]["email"].get<std::string>()) << ">\n";
  std::cout << "Where  " << printable(v["where"]["path"].get<std::string>())
            << "  on host "
            << or_dash(printable(v["where"]["host"].get<std::string>()))
            << "\n";
  std::cout << "When   " << human_time(v["when"]) << "\n";
  // A message of several lines goes on, indented, on the lines below.
  std::istringstream why(v["why"].get<std::string>());
  std::string prefix = "Why    ";
  for (std::string line; std::getline(why, line); prefix = "       ") {
    std::cout << prefix << printable(line) << "\n";
  }
  const json& how = v["how"];
  std::cout << "How    " << how["kind"].get<std::string>() << ", node "
            << short_id(how["node"]) << "\n";
  if (how.contains("command")) {
    std::cout << "       command " << how["command"].dump();
    if (how.contains("exit_code")) {
      std::cout << ", exit " << how["exit_code"].dump();
    }
    std::cout << "\n";
  }
  for (const char* key : {"params", "metrics"}) {
    if (how.contains(key) && !how[key].empty()) {
      std::string line;
      for (const auto& [name, value] : how[key].items()) {
        line += (line.empty() ? "" : ", ") + printable(name) + "=" +
                (value.is_string() ? printable(value.get<std::string>())
                                   : value.dump());
      }
      std::cout << "       " << key << " " << line << "\n";
    }
  }
  if (how.contains("code")) {
    for (const auto& file : how["code"].value("files", json::array())) {
      std::cout << "       code " << printable(file["path"].get<std::string>())
                << " (" << short_id(file["hash"]) << ")\n";
    }
    if (how["code"].contains("git")) {
      const json& git = how["code"]["git"];
      std::cout << "       git "
                << (git["commit"].is_null() ? "(no commit)"
                                            : short_id(git["commit"]))
                << (git.value("dirty", false) ? " with uncommitted changes"
                                              : "")
                << "\n";
    }
  }
  if (how.contains("source")) {
    std::cout << "       source "
              << printable(how["source"].value("location", std::string("?")))
              << "\n";
  }
  for (const auto& input : how["inputs"]) {
    std::cout << "       input "
              << printable(input["artifact"].get<std::string>()) << " ("
              << short_id(input["hash"]) << ")\n";
  }
  const json& g = v["governance"];
  std::string status = g["approved"].get<bool>()
                           ? "approved by " + printable(join(g["approved_by"]))
                           : "not approved";
  if (!g["aliases"].empty()) {
    status += "; " + printable(join(g["aliases"]));
  }
  std::cout << "Status " << status << "\n";
  print_taint(v["taint"]);
  print_governance(g);
}

} // namespace

Runner
setup_show(CLI::App& app)
{
  auto ref = std::make_shared<std::string>();
  app.add_option("REF", *ref, "NAME, NAME@VERSION, a path, or a node id")
      ->required();
  return [ref](Context& ctx) {
    json doc = lake::show(*ctx.lake, *ref, ctx.cwd);
    if (ctx.globals.json) {
      print_json(doc);
      return 0;
    }
    const std::string type = doc["type"];
    if (type == "artifact") {
      print_artifact(doc);
    } else if (type == "version") {
      print_version(doc);
    } else {
      print_node_text(doc);
      print_taint(doc["taint"]);
      std::cout << "\nparents   ";
      for (const auto& p : doc["parents"]) {
        std::cout << short_id(p) << " ";
      }
      std::cout << "\nchildren  ";
      for (const auto& c : doc["children"]) {
        std::cout << short_id(c) << " ";
      }
      std::cout << "\n";
    }
    return 0;
  };
}

} // namespace mlake::cli
