#pragma once

#include <mlake/util/json.hpp>

#include <filesystem>
#include <optional>
#include <string>

namespace mlake::data {

namespace fs = std::filesystem;

struct ModelScanOptions
{
  // The name the user knows the file by (a project-relative path): its
  // extension helps to tell the format when the bytes do not, and errors
  // name it. Default: the path read.
  std::string name;
};

// Inspect a model file without loading it, in bounded memory: headers and
// pickles are read in a streaming pass, tensor data is skipped. The format
// is told by magic bytes first, by the extension of `options.name` second.
// Returns nullopt when the file is not a model file mlake knows, else
//   {"format": "safetensors" | "gguf" | "pickle" | "joblib" |
//              "pytorch-zip" | "pytorch-legacy" | "zip",
//    "verdict": "safe" | "unsafe" | "not verified",
//    "error": "..." (only when the file is malformed or the scan stopped),
//    "notes": ["..."] (parts not inspected, e.g. compressed zip entries)}
// and, by format,
//  safetensors: "header_bytes", "tensor_count", "parameters",
//    "dtypes" {dtype: tensors}, "tensors" [{"name", "dtype", "shape"}]
//    (the first 100; "tensors_truncated": true beyond), "metadata" (the
//    __metadata__ strings);
//  gguf: "version", "tensor_count", "metadata_count", "metadata_keys"
//    (the first 256), "metadata" {key: value} (scalars and strings of up
//    to 256 bytes; arrays as "array[TYPE; N]"), "parameters", "tensors"
//    [{"name", "type", "shape"}] (the first 100);
//  pickle-bearing formats (pickle, joblib, pytorch-zip, pytorch-legacy,
//    zip): "protocol" (the highest PROTO seen), "pickles" (streams
//    walked), "imports" (every module.name the pickle opcodes would import
//    when loaded, first 1000), "unsafe_imports" [{"import", "severity":
//    "dangerous" | "unknown", "where" (the zip entry, when in one),
//    "offset" (of the opcode in its pickle stream)}], for PyTorch
//    "tensors" and "parameters" (element counts from the pickled shapes),
//    for joblib "arrays"; a zip also "entries" and "pickle_entries".
// Verdicts: "safe" when the file was read to its end and all it imports
// is on a list of names known not to run code; "unsafe" when a pickle
// imports a name known to run code or touch the system (os.system,
// builtins.eval, ...); "not verified" otherwise: an import outside both
// lists, a malformed or truncated file, or parts left unread. Pickles are
// never unpickled: their opcodes are walked, tracking the stack and memo
// only as far as needed to resolve what would be imported. Throws
// Error(Exit::not_found) when the file cannot be opened or read.
std::optional<json> scan_model(const fs::path& path,
                               const ModelScanOptions& options = {});

// The severity of importing `module.name` when a pickle is loaded:
// "safe", "dangerous" or "unknown", as scan_model() reports it.
std::string import_severity(const std::string& module, const std::string& name);

} // namespace mlake::data
