#pragma once

// Printing for people: sizes, times, ids, and the progress bar.

#include <mlake/util/json.hpp>
#include <mlake/util/progress.hpp>
#include <mlake/util/text.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace mlake::cli {

// 1.2 KiB, 3.4 GiB.
using util::human_size;
// An id or hash shortened for people, as git does.
std::string short_id(const std::string& id);
// "2026-11-27 13:14:04 UTC" from an RFC 3339 time.
std::string human_time(const std::string& rfc3339);
// "-" for an empty string.
std::string or_dash(const std::string& text);
// `text` with its control characters escaped as \n, \r, \t, or \xNN for
// the others, so that a value from a file or a message cannot break the
// lines of the output (or move the terminal's cursor).
std::string printable(std::string_view text);
// Pad `text` with spaces to `width` display columns (UTF-8 aware).
std::string pad(const std::string& text, std::size_t width);
std::size_t display_width(const std::string& text);

// The warnings a model inspection (the "model" metafeatures) calls for,
// one line each, naming the file as `name`: what a pickle would import
// that is not known to be safe, and why a file could not be verified.
std::vector<std::string> model_warnings(const json& model,
                                        const std::string& name);
// Print them on stderr (nothing when `model` is null).
void print_model_warnings(const json& model, const std::string& name);

// Print a node document (as lake::log makes them) the way git log does.
void print_node_text(const json& node);

// Print a JSON document for scripts: indented, one trailing newline.
void print_json(const json& doc);

// A progress bar on stderr when it is a terminal; nothing otherwise.
std::unique_ptr<util::Progress> make_progress(bool enabled);

} // namespace mlake::cli
