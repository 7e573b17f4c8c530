#pragma once

#include <mlake/util/json.hpp>

#include <filesystem>
#include <string>

namespace mlake::lake {
class Lake;
}

namespace mlake::governance {

namespace fs = std::filesystem;

// A model card built from lineage: details (who, when, version, hashes),
// intended use, training data (the datasets upstream with their
// metafeatures, approvals and security levels), training procedure
// (algorithm, params, code commit, environment), evaluation (metrics),
// lineage (a Mermaid graph) and governance (approvals, promotions, the
// policy's verdict). Each field the record cannot fill is listed under
// "missing" with what would fill it.
json card(lake::Lake& lake, const std::string& ref, const fs::path& cwd);

// The card as Markdown with YAML front matter, in the form Hugging Face
// model cards use.
std::string card_markdown(const json& card);

} // namespace mlake::governance
