#include <mlake/governance/audit.hpp>
#include <mlake/governance/records.hpp>
#include <mlake/lake/erasure.hpp>
#include <mlake/lake/lake.hpp>
#include <mlake/lake/metadata.hpp>
#include <mlake/lake/query.hpp>
#include <mlake/lake/refs.hpp>
#include <mlake/remote/sync.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/fs.hpp>
#include <mlake/util/time.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <set>

namespace mlake::governance {

namespace {

// NAME@N, as users write a version.
std::string
ref_of(const index::VersionRow& v)
{
  return v.artifact + "@" + std::to_string(v.ordinal);
}

json
version_json(const index::VersionRow& v)
{
  return {{"ref", ref_of(v)},
          {"ordinal", v.ordinal},
          {"hash", v.hash},
          {"node", v.node}};
}

// The version a governance node acts on, as its one input.
json
subject(const index::VersionRow& v, const std::string& role)
{
  json item = {{"artifact", v.artifact},
               {"hash", v.hash},
               {"node", v.node},
               {"path", v.path},
               {"role", role},
               {"size", v.size},
               {"type", v.type}};
  if (v.type == "dir") {
    item["files"] = v.files;
  }
  return item;
}

json
governance_node(const std::string& kind,
                const std::string& message,
                const index::VersionRow& v,
                const std::string& role)
{
  const std::string now = util::format_rfc3339(util::now_micros());
  return {{"kind", kind},
          {"message", message},
          {"inputs", json::array({subject(v, role)})},
          {"outputs", json::array()},
          {"env", lake::basic_env()},
          {"time", {{"start", now}, {"end", now}}}};
}

// NAME@VER as resolve_version reads it; a bare NAME is the version its
// production alias points at, else the latest: what is deployed.
index::VersionRow
deployed_version(lake::Lake& lake, const std::string& ref, const fs::path& cwd)
{
  if (auto name = lake::find_artifact(lake, ref, cwd)) {
    if (lake.index().alias_target(*name, "production")) {
      return lake::resolve_version(lake, *name + "@production", cwd);
    }
  }
  return lake::resolve_version(lake, ref, cwd);
}

// Approving or deploying content that was erased means nothing.
void
refuse_purged(lake::Lake& lake,
              const index::VersionRow& v,
              const std::string& what)
{
  const lake::Erasure purges = lake::load_purges(lake);
  if (const auto* row = purges.purge_of(v.artifact, v.node)) {
    throw Error(Exit::usage,
                "cannot " + what + " " + ref_of(v) +
                    ": its content was erased by purge " +
                    row->node.substr(0, 12) + " (" + row->message + ")",
                "run 'mlake show " + ref_of(v) + "' to see the purge");
  }
}

bool
same_user(const index::ApprovalRow& row, const lake::Identity& me)
{
  return row.user_name == me.name && row.user_email == me.email;
}

} // namespace

json
number_json(double value)
{
  if (std::trunc(value) == value && std::fabs(value) < 9e15) {
    return static_cast<std::int64_t>(value);
  }
  return value;
}

bool
is_approved(const std::vector<index::ApprovalRow>& approvals,
            const std::string& version_node,
            std::vector<std::string>* approvers)
{
  auto rows = lake::approvals_in_force(approvals, version_node);
  if (approvers) {
    approvers->clear();
    for (const auto* row : rows) {
      if (std::find(approvers->begin(), approvers->end(), row->user_name) ==
          approvers->end()) {
        approvers->push_back(row->user_name);
      }
    }
  }
  return !rows.empty();
}

json
approve(lake::Lake& lake, const ApproveOptions& options)
{
  lake::check_message(options.message);
  const std::string kind = options.revoke ? "revoke" : "approve";
  lake.lock("mlake " + kind);
  const auto v = lake::resolve_version(lake, options.ref, options.cwd);
  const std::string ref = ref_of(v);
  if (!options.revoke) {
    refuse_purged(lake, v, "approve");
  }
  const auto approvals = lake.index().approvals(v.artifact);
  const auto current = lake::approvals_in_force(approvals, v.node);
  const lake::Identity me = lake.identity();
  if (options.revoke && current.empty()) {
    throw Error(Exit::usage,
                ref + " is not approved: there is nothing to revoke",
                "run 'mlake show " + ref + "' to see its approvals");
  }
  if (!options.revoke) {
    for (const auto* row : current) {
      if (same_user(*row, me)) {
        throw Error(Exit::usage,
                    ref + " is already approved by " + me.name + " (node " +
                        row->node.substr(0, 12) + ")",
                    "an approval stays in force until it is revoked");
      }
    }
  }
  std::string id = lake.commit(governance_node(
      kind, options.message, v, options.revoke ? "revoked" : "approved"));
  std::vector<std::string> approvers;
  bool approved =
      is_approved(lake.index().approvals(v.artifact), v.node, &approvers);
  return {{"node", id},
          {"artifact", v.artifact},
          {"version", version_json(v)},
          {"decision", kind},
          {"approved", approved},
          {"approvers", approvers}};
}

void
check_alias(const std::string& alias)
{
  bool ok = !alias.empty() && alias.size() <= 64 &&
            std::isalpha(static_cast<unsigned char>(alias[0])) &&
            std::all_of(alias.begin(), alias.end(), [](unsigned char c) {
              return std::isalnum(c) || c == '-' || c == '_' || c == '.';
            });
  if (!ok || alias == "latest") {
    throw Error(Exit::usage,
                "alias " + quote(alias) + " is not valid",
                "an alias starts with a letter and holds letters, digits, "
                "'-', '_' or '.' (production, staging, champion, ...); "
                "'latest' is taken");
  }
}

json
promote(lake::Lake& lake, const PromoteOptions& options)
{
  check_alias(options.alias);
  lake::check_message(options.message);
  lake.lock("mlake promote");
  const auto v = lake::resolve_version(lake, options.ref, options.cwd);
  const std::string ref = ref_of(v);
  refuse_purged(lake, v, "promote");
  json previous = nullptr;
  if (auto target = lake.index().alias_target(v.artifact, options.alias)) {
    if (*target == v.node) {
      throw Error(Exit::usage,
                  options.alias + " of " + quote(v.artifact) +
                      " already points at " + ref);
    }
    for (const auto& other : lake.index().versions(v.artifact)) {
      if (other.node == *target) {
        previous = version_json(other);
      }
    }
  }
  json node = governance_node("promote", options.message, v, "promoted");
  node["alias"] = options.alias;
  if (auto policy = lake_policy(lake)) {
    // Judge the version as it would stand behind the alias.
    AuditOptions check;
    check.ref = ref_of(v);
    check.cwd = lake.root();
    check.aliases = {options.alias};
    json report = audit(lake, check);
    json broken = json::array();
    for (const auto& violation : report["violations"]) {
      broken.push_back(violation["message"]);
    }
    if (!broken.empty() && !options.force) {
      std::string first = broken[0].get<std::string>();
      throw Error(Exit::check_failed,
                  "promoting " + ref + " to " + options.alias +
                      " breaks the policy (" + std::to_string(broken.size()) +
                      " violation(s)): " + first,
                  "run 'mlake audit " + ref +
                      "' for all of them; --force "
                      "promotes anyway and records that it did");
    }
    node["policy"] = {{"path", report["policy"]["path"]},
                      {"sha256", policy->sha256},
                      {"violations", broken},
                      {"forced", !broken.empty()}};
  }
  if (!previous.is_null()) {
    node["previous"] = previous["node"];
  }
  const json node_policy_violations =
      node.contains("policy") ? node["policy"]["violations"] : json(nullptr);
  std::string id = lake.commit(std::move(node));
  json out = {{"node", id},
              {"artifact", v.artifact},
              {"alias", options.alias},
              {"version", version_json(v)},
              {"previous", previous},
              {"policy_violations", json::array()}};
  if (node_policy_violations.is_array()) {
    out["policy_violations"] = node_policy_violations;
  }
  return out;
}

json
log_metrics(lake::Lake& lake, const MetricLogOptions& options)
{
  if (options.values.empty()) {
    throw Error(Exit::usage,
                "no observations given",
                "give KEY=NUMBER, e.g. 'accuracy=0.91'");
  }
  json metrics = json::object();
  std::string summary;
  for (const auto& text : options.values) {
    auto eq = text.find('=');
    std::string key = eq == std::string::npos ? "" : text.substr(0, eq);
    std::string value = eq == std::string::npos ? "" : text.substr(eq + 1);
    double number = 0;
    std::size_t used = 0;
    // Decimal only: std::stod would also read hex ("0x10") and "inf".
    bool ok = !key.empty() && !value.empty() &&
              value.find_first_not_of("0123456789+-.eE") == std::string::npos;
    if (ok) {
      try {
        number = std::stod(value, &used);
      } catch (const std::exception&) {
        ok = false;
      }
    }
    if (!ok || used != value.size() || !std::isfinite(number)) {
      throw Error(Exit::usage,
                  "observation " + quote(text) + " is not KEY=NUMBER",
                  "e.g. 'accuracy=0.91' or 'latency_ms=120'");
    }
    if (metrics.contains(key)) {
      throw Error(Exit::usage, "metric " + quote(key) + " is given twice");
    }
    // Integers stay integers in the node, as a run's metrics do.
    if (value.find_first_of(".eE") == std::string::npos &&
        std::fabs(number) < 9e15) {
      metrics[key] = static_cast<std::int64_t>(number);
    } else {
      metrics[key] = number;
    }
    summary += (summary.empty() ? "" : ", ") + key + "=" + value;
  }
  std::string observed = util::format_rfc3339(util::now_micros());
  if (options.time) {
    util::Micros t = 0;
    if (!util::parse_rfc3339(*options.time, t)) {
      throw Error(Exit::usage,
                  "--time " + quote(*options.time) + " is not a time",
                  "give RFC 3339, e.g. 2026-11-27T10:00:00Z");
    }
    observed = util::format_rfc3339(t);
  }
  const std::string message = options.message.value_or("observed " + summary);
  lake::check_message(message);
  lake.lock("mlake metric log");
  const auto v = deployed_version(lake, options.ref, options.cwd);
  json node = governance_node("metric", message, v, "observed");
  node["metrics"] = metrics;
  node["observation"] = {{"time", observed}};
  if (options.source) {
    node["observation"]["source"] = *options.source;
  }
  std::string id = lake.commit(std::move(node));
  return {{"node", id},
          {"artifact", v.artifact},
          {"version", version_json(v)},
          {"time", observed},
          {"metrics", metrics}};
}

bool
lower_is_better(const std::string& key)
{
  std::string k;
  for (char c : key) {
    k += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  for (const char* word : {"loss",
                           "error",
                           "rmse",
                           "mse",
                           "mae",
                           "mape",
                           "latency",
                           "perplexity",
                           "drift",
                           "duration",
                           "cost",
                           "fpr",
                           "fnr",
                           "false_pos",
                           "false_neg"}) {
    if (k.find(word) != std::string::npos) {
      return true;
    }
  }
  return k == "err" || k.ends_with("_err") || k.starts_with("err_");
}

json
monitor(lake::Lake& lake, const MonitorOptions& options)
{
  if (!(options.threshold >= 0)) {
    throw Error(Exit::usage,
                "--threshold must be a fraction of at least 0 (0.05 is 5%)");
  }
  const auto v = deployed_version(lake, options.ref, options.cwd);
  auto& idx = lake.index();
  // The value each metric was measured with: an evaluation's over the
  // run's own, the latest of each.
  std::map<std::string, index::MetricRow> baseline;
  for (const auto& row : idx.version_metrics(v.artifact, v.node)) {
    auto it = baseline.find(row.key);
    if (it == baseline.end() || row.kind == "evaluate" ||
        it->second.kind != "evaluate") {
      baseline[row.key] = row;
    }
  }
  std::map<std::string, std::vector<index::MetricRow>> observed;
  for (auto& row : idx.observations(v.artifact, v.node)) {
    if (!options.metric || row.key == *options.metric) {
      observed[row.key].push_back(std::move(row));
    }
  }
  if (options.metric && !observed.count(*options.metric)) {
    observed[*options.metric]; // reported, with no observations
  }
  json metrics = json::array();
  bool any_degraded = false;
  for (const auto& [key, rows] : observed) {
    const bool lower = lower_is_better(key);
    json m = {{"key", key},
              {"direction", lower ? "lower is better" : "higher is better"},
              {"baseline", nullptr},
              {"observations", json::array()},
              {"latest", nullptr},
              {"change", nullptr},
              {"degraded", false}};
    for (const auto& row : rows) {
      json o = {{"time", row.time},
                {"value", number_json(row.value)},
                {"node", row.node}};
      if (!row.source.empty()) {
        o["source"] = row.source;
      }
      m["observations"].push_back(std::move(o));
    }
    if (!rows.empty()) {
      m["latest"] = number_json(rows.back().value);
    }
    auto base = baseline.find(key);
    if (base != baseline.end()) {
      m["baseline"] = {{"value", number_json(base->second.value)},
                       {"node", base->second.node},
                       {"kind", base->second.kind},
                       {"time", base->second.time}};
      if (!rows.empty()) {
        const double was = base->second.value;
        const double now = rows.back().value;
        // Relative to what it was; absolute when that was 0.
        const double change =
            was != 0 ? (now - was) / std::fabs(was) : now - was;
        m["change"] = change;
        const bool degraded =
            lower ? change > options.threshold : change < -options.threshold;
        m["degraded"] = degraded;
        any_degraded = any_degraded || degraded;
      }
    }
    metrics.push_back(std::move(m));
  }
  std::vector<std::string> aliases;
  for (const auto& p : idx.promotions(v.artifact)) {
    if (idx.alias_target(v.artifact, p.alias) == v.node &&
        std::find(aliases.begin(), aliases.end(), p.alias) == aliases.end()) {
      aliases.push_back(p.alias);
    }
  }
  return {{"artifact", v.artifact},
          {"version", version_json(v)},
          {"aliases", aliases},
          {"threshold", options.threshold},
          {"metrics", metrics},
          {"degraded", any_degraded}};
}

namespace {

// What was made from `v`, all the way down: the versions (and the steps
// that made nothing, such as promotions and evaluations) a purge of it
// taints.
void
downstream(lake::Lake& lake,
           const index::VersionRow& v,
           std::map<std::string, json>& tainted)
{
  auto rows = lake.index().lineage({v.node}, false, -1, v.artifact);
  std::set<std::string> wrote;
  for (const auto& io : rows.io) {
    // What the node that recorded `v` wrote besides is a sibling, not made
    // from it.
    if (io.direction != "out" || io.node == v.node) {
      continue;
    }
    auto it = rows.ordinals.find(io.artifact + "\n" + io.node);
    const std::string ref =
        it == rows.ordinals.end()
            ? io.artifact
            : io.artifact + "@" + std::to_string(it->second);
    wrote.insert(io.node);
    tainted.emplace("1 " + ref, json{{"ref", ref}, {"node", io.node}});
  }
  for (const auto& n : rows.nodes) {
    // A purge reads what it erased; it is the record, not made from it.
    if (n.id != v.node && !wrote.count(n.id) && n.kind != "purge") {
      tainted.emplace("2 " + n.time_end + n.id,
                      json{{"ref", nullptr}, {"node", n.id}, {"kind", n.kind}});
    }
  }
}

} // namespace

json
purge(lake::Lake& lake, const PurgeOptions& options)
{
  if (options.reason.find_first_not_of(" \t\r\n") == std::string::npos) {
    throw Error(Exit::usage,
                "a reason is required",
                "say why with --reason, e.g. --reason \"erasure request "
                "#123\"; it is recorded in the purge node");
  }
  if (!options.dry_run) {
    lake.lock("mlake purge");
  }
  const auto v = lake::resolve_version(lake, options.ref, options.cwd);
  const std::string ref = ref_of(v);
  const lake::Erasure before = lake::load_purges(lake);
  // Purged itself, not only touched by the purge of a version it shared
  // content with (its own content is still here).
  const bool already =
      std::any_of(before.rows.begin(), before.rows.end(), [&](const auto& r) {
        return r.artifact == v.artifact && r.version_node == v.node &&
               r.role == "purged";
      });

  if (v.stored && v.type == "dir" && !lake.objects().contains(v.hash)) {
    throw Error(Exit::integrity,
                "the folder list (tree " + v.hash + ") of " + ref +
                    " is missing: what it holds cannot be known",
                "run 'mlake fsck'");
  }
  const std::vector<std::string> content = lake::content_of(lake, v);
  const std::unordered_set<std::string> erasing(content.begin(), content.end());
  std::unordered_set<std::string> skip = before.versions;
  skip.insert(lake::version_key(v.artifact, v.node));
  const auto affected = lake::holders(lake, erasing, skip);
  std::uint64_t content_bytes = 0;
  for (const auto& hash : content) {
    auto st = util::lstat_path(lake.objects().path_of(hash));
    content_bytes += st ? st->size : 0;
  }

  json affected_json = json::array();
  std::string affected_text;
  for (const auto& holder : affected) {
    affected_json.push_back({{"ref", ref_of(holder.version)},
                             {"node", holder.version.node},
                             {"shared", holder.hashes.size()}});
    affected_text += (affected_text.empty() ? "" : ", ") +
                     ref_of(holder.version) + " (" +
                     std::to_string(holder.hashes.size()) + " file(s))";
  }
  if (!already && !affected.empty() && !options.force && !options.dry_run) {
    throw Error(Exit::usage,
                "the content of " + ref + " is also part of " + affected_text +
                    ": erasing it erases it from them too",
                "pass --force to purge it from all of them, or --dry-run to "
                "see what would be erased and tainted");
  }

  std::map<std::string, json> tainted;
  downstream(lake, v, tainted);
  for (const auto& holder : affected) {
    downstream(lake, holder.version, tainted);
  }
  json tainted_json = json::array();
  for (auto& [key, item] : tainted) {
    tainted_json.push_back(std::move(item));
  }

  json out = {
      {"node", nullptr},
      {"artifact", v.artifact},
      {"version", version_json(v)},
      {"reason", options.reason},
      {"dry_run", options.dry_run},
      {"already_purged", already},
      {"content", {{"objects", content.size()}, {"bytes", content_bytes}}},
      {"affected", affected_json},
      {"erased", {{"objects", 0}, {"bytes", 0}, {"workspace", json::array()}}},
      {"tainted", tainted_json},
      {"remote", nullptr}};
  std::optional<remote::SelectedRemote> on_remote;
  if (!options.remote.empty()) {
    // Before anything is written: an unknown or unreachable remote leaves
    // the lake as it was.
    on_remote.emplace(remote::select_remote(lake, options.remote));
    on_remote->remote->check(false);
  }
  if (options.dry_run) {
    return out;
  }

  if (!already) {
    json node = governance_node("purge", options.reason, v, "purged");
    for (const auto& holder : affected) {
      node["inputs"].push_back(subject(holder.version, "affected"));
    }
    std::vector<std::string> sorted(content.begin(), content.end());
    std::sort(sorted.begin(), sorted.end());
    node["purge"] = {{"objects", sorted}};
    out["node"] = lake.commit(std::move(node));
  }
  const lake::Erasure erasure = lake::load_erasure(lake);
  const lake::Erased erased = lake::erase_content(lake, erasure);
  out["erased"] = {{"objects", erased.objects},
                   {"bytes", erased.bytes},
                   {"workspace", erased.workspace}};

  if (on_remote) {
    // The record first, then the content: a puller that sees the content
    // gone also sees why.
    remote::PushOptions push;
    push.remote = on_remote->config.name;
    push.history_only = true;
    push.cwd = options.cwd;
    remote::PushResult pushed;
    std::uint64_t deleted = 0;
    try {
      pushed = remote::push(lake, push);
      for (const auto& hash : content) {
        if (erasure.content.count(hash)) {
          on_remote->remote->remove(remote::object_key(hash));
          ++deleted;
        }
      }
      on_remote->remote->flush();
    } catch (const Error& e) {
      // The purge here stands; say so, and how to finish the rest.
      throw Error(e.code(),
                  ref + " is purged here, but not yet on " +
                      on_remote->config.name + ": " + e.what(),
                  (e.hint().empty() ? "" : e.hint() + "; then ") +
                      "run the same 'mlake purge' again to erase it there");
    }
    out["remote"] = {{"name", on_remote->config.name},
                     {"location", on_remote->remote->location()},
                     {"deleted", deleted},
                     {"nodes_sent", pushed.nodes_sent}};
  }
  return out;
}

} // namespace mlake::governance
