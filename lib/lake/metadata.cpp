#include <mlake/lake/metadata.hpp>
#include <mlake/util/error.hpp>

#include <algorithm>
#include <cctype>
#include <unordered_map>

namespace mlake::lake {

const std::vector<std::string>&
artifact_kinds()
{
  static const std::vector<std::string> kinds = {
      "dataset", "model", "code", "other"};
  return kinds;
}

const std::vector<std::string>&
security_levels()
{
  static const std::vector<std::string> levels = {
      "public", "internal", "confidential", "restricted"};
  return levels;
}

std::optional<int>
security_rank(std::string_view level)
{
  const auto& levels = security_levels();
  auto it = std::find(levels.begin(), levels.end(), level);
  if (it == levels.end()) {
    return std::nullopt;
  }
  return static_cast<int>(it - levels.begin());
}

std::string
infer_kind(std::string_view path, bool is_dir)
{
  if (is_dir) {
    return "dataset";
  }
  static const std::unordered_map<std::string, std::string> by_extension = {
      {"csv", "dataset"},       {"tsv", "dataset"},     {"parquet", "dataset"},
      {"json", "dataset"},      {"jsonl", "dataset"},   {"ndjson", "dataset"},
      {"arrow", "dataset"},     {"feather", "dataset"}, {"avro", "dataset"},
      {"orc", "dataset"},       {"hdf5", "dataset"},    {"npy", "dataset"},
      {"npz", "dataset"},       {"xlsx", "dataset"},    {"xls", "dataset"},
      {"tfrecord", "dataset"},  {"txt", "dataset"},     {"xml", "dataset"},
      {"pt", "model"},          {"pth", "model"},       {"bin", "model"},
      {"safetensors", "model"}, {"onnx", "model"},      {"pkl", "model"},
      {"pickle", "model"},      {"joblib", "model"},    {"gguf", "model"},
      {"ckpt", "model"},        {"pb", "model"},        {"tflite", "model"},
      {"keras", "model"},       {"h5", "model"},        {"mlmodel", "model"},
      {"py", "code"},           {"r", "code"},          {"jl", "code"},
      {"ipynb", "code"},        {"sh", "code"},         {"js", "code"},
      {"ts", "code"},           {"sql", "code"},        {"scala", "code"},
      {"java", "code"},         {"cpp", "code"},        {"c", "code"},
      {"go", "code"},           {"rs", "code"},
  };
  auto slash = path.rfind('/');
  std::string_view name =
      slash == std::string_view::npos ? path : path.substr(slash + 1);
  auto dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) {
    return "other";
  }
  std::string ext(name.substr(dot + 1));
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) {
    return static_cast<char>(std::tolower(c));
  });
  auto it = by_extension.find(ext);
  return it == by_extension.end() ? "other" : it->second;
}

void
check_choice(const std::string& option,
             const std::string& value,
             const std::vector<std::string>& allowed)
{
  if (std::find(allowed.begin(), allowed.end(), value) != allowed.end()) {
    return;
  }
  std::string list;
  for (const auto& item : allowed) {
    list += (list.empty() ? "" : ", ") + item;
  }
  throw Error(Exit::usage,
              "unknown " + option + " " + quote(value) +
                  " (use one of: " + list + ")");
}

void
check_message(const std::string& message)
{
  if (message.find_first_not_of(" \t\r\n") == std::string::npos) {
    throw Error(Exit::usage,
                "a message is required",
                "say why with -m, as for a git commit");
  }
}

void
check_tag(const std::string& tag)
{
  if (tag.empty() || tag.find_first_of(" \t\r\n,") != std::string::npos) {
    throw Error(Exit::usage,
                "tag " + quote(tag) +
                    " must be one word, without spaces or commas");
  }
}

void
check_artifact_name(const std::string& name)
{
  if (name.empty()) {
    throw Error(Exit::usage, "an artifact name cannot be empty");
  }
  if (name.front() == '-' || name.back() == '@') {
    throw Error(Exit::usage,
                "artifact name " + quote(name) +
                    " cannot start with '-' or end with '@'");
  }
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) {
      throw Error(Exit::usage,
                  "artifact name " + quote(name) +
                      " holds a control character");
    }
  }
}

} // namespace mlake::lake
