#include <mlake/data/csv.hpp>
#include <mlake/lake/lake.hpp>
#include <mlake/lake/lock_file.hpp>
#include <mlake/lake/metadata.hpp>
#include <mlake/lake/refs.hpp>
#include <mlake/lineage/capture.hpp>
#include <mlake/lineage/split.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/interrupt.hpp>
#include <mlake/util/time.hpp>

#include <cmath>
#include <map>
#include <random>

namespace mlake::lineage {

namespace {

// A uniform number in [0, 1) from the generator, the same on every
// platform (std::uniform_real_distribution is not).
double
uniform(std::mt19937_64& rng)
{
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

struct Quota
{
  std::vector<std::uint64_t> left; // rows still to give each split
  std::uint64_t rows_left = 0;
};

// round(fraction x n) rows for each split but the last, which takes the
// rest.
std::vector<std::uint64_t>
quotas(std::uint64_t n, const std::vector<double>& fractions)
{
  std::vector<std::uint64_t> out;
  std::uint64_t given = 0;
  for (std::size_t i = 0; i + 1 < fractions.size(); ++i) {
    auto k = static_cast<std::uint64_t>(std::llround(fractions[i] * double(n)));
    k = std::min(k, n - given);
    out.push_back(k);
    given += k;
  }
  out.push_back(n - given);
  return out;
}

// Sequential sampling (Knuth's Algorithm S, generalised to several
// parts): each row goes to a part with probability (rows that part still
// needs) / (rows left), which gives every part exactly its quota.
std::size_t
choose(Quota& q, std::mt19937_64& rng)
{
  double u = uniform(rng) * double(q.rows_left);
  std::size_t part = 0;
  double edge = 0;
  for (; part + 1 < q.left.size(); ++part) {
    edge += double(q.left[part]);
    if (u < edge && q.left[part] > 0) {
      break;
    }
  }
  while (q.left[part] == 0) {
    part = (part + 1) % q.left.size();
  }
  --q.left[part];
  --q.rows_left;
  return part;
}

std::string
with_suffix(const std::string& name, const std::string& part)
{
  auto dot = name.rfind('.');
  if (dot == std::string::npos || dot == 0) {
    return name + "." + part;
  }
  return name.substr(0, dot) + "." + part + name.substr(dot);
}

} // namespace

SplitResult
split(lake::Lake& lake, const SplitOptions& options, util::Progress& progress)
{
  lake::check_message(options.message);
  std::vector<std::string> names = {"train"};
  std::vector<double> fractions = {options.train};
  if (options.val) {
    names.push_back("val");
    fractions.push_back(*options.val);
  }
  names.push_back("test");
  fractions.push_back(options.test);
  double sum = 0;
  for (double f : fractions) {
    if (!(f >= 0 && f <= 1)) {
      throw Error(Exit::usage,
                  "split fractions must be between 0 and 1",
                  "e.g. --train 0.8 --test 0.2");
    }
    sum += f;
  }
  if (std::fabs(sum - 1.0) > 1e-6) {
    throw Error(Exit::usage,
                "split fractions add up to " + std::to_string(sum) + ", not 1",
                "e.g. --train 0.7 --val 0.15 --test 0.15");
  }

  lake.lock("mlake split");
  const std::string start = util::format_rfc3339(util::now_micros());
  index::VersionRow data =
      lake::resolve_version(lake, options.data, options.cwd);
  if (data.type != "file" || !data::is_tabular(data.path)) {
    throw Error(Exit::usage,
                quote(options.data) + " is not a CSV or TSV file",
                "split works on .csv and .tsv files");
  }
  if (!data.stored || !lake.objects().contains(data.hash)) {
    throw Error(Exit::not_found,
                "the lake does not hold the content of " +
                    quote(data.artifact + "@" + std::to_string(data.ordinal)));
  }
  const fs::path source = lake.objects().path_of(data.hash);

  // First pass: how many rows, in each class when stratifying.
  std::optional<std::size_t> column;
  std::map<std::string, std::uint64_t> per_class;
  std::string header;
  std::uint64_t rows = 0;
  {
    data::CsvReader reader(source, 0, data.path);
    std::vector<std::string> fields;
    if (!reader.next(fields)) {
      throw Error(Exit::usage, quote(options.data) + " is empty");
    }
    header = std::string(reader.raw());
    if (options.stratify) {
      for (std::size_t i = 0; i < fields.size(); ++i) {
        if (fields[i] == *options.stratify) {
          column = i;
        }
      }
      if (!column) {
        throw Error(Exit::usage,
                    quote(options.data) + " has no column " +
                        quote(*options.stratify));
      }
    }
    while (reader.next(fields)) {
      util::throw_if_interrupted();
      // An empty line is not a row, as for the metafeatures: it is neither
      // counted nor copied.
      if (reader.blank()) {
        continue;
      }
      ++rows;
      if (column) {
        ++per_class[*column < fields.size() ? fields[*column] : ""];
      }
    }
  }

  // Where the parts go: beside the data, or in the folder given.
  const std::string data_name = fs::path(data.path).filename().string();
  fs::path dir = options.out_dir
                     ? util::absolute_normal(options.cwd / *options.out_dir)
                     : (lake.root() / data.path).parent_path();
  std::vector<std::string> outputs;
  lake::LockFile lock = lake::LockFile::load(lake.root());
  for (const auto& name : names) {
    fs::path abs = dir / with_suffix(data_name, name);
    if (!util::is_within(abs, lake.root()) ||
        util::is_within(abs, lake.dir())) {
      throw Error(Exit::usage,
                  "the output folder must be inside the project, outside "
                  ".mlake");
    }
    std::string rel = util::relative_to(abs, lake.root());
    if (util::lstat_path(abs) &&
        (!lock.entries.count(rel) ||
         !lake::status(lake, {rel}, lake.root()).changes.empty())) {
      throw Error(Exit::usage,
                  quote(rel) + " already exists and holds changes not in the "
                               "lake",
                  "choose another folder with -o, or add it first");
    }
    outputs.push_back(rel);
  }

  // Second pass: deal each row to a part, and copy it there.
  std::mt19937_64 rng(options.seed);
  Quota overall{quotas(rows, fractions), rows};
  std::map<std::string, Quota> by_class;
  for (const auto& [value, count] : per_class) {
    by_class[value] = Quota{quotas(count, fractions), count};
  }
  std::vector<std::unique_ptr<util::AtomicFile>> files;
  fs::create_directories(dir);
  for (const auto& rel : outputs) {
    files.push_back(std::make_unique<util::AtomicFile>(
        dir, fs::path(rel).filename().string()));
    files.back()->write(header);
  }
  SplitResult result;
  result.rows.assign(names.size(), 0);
  {
    data::CsvReader reader(source, 0, data.path);
    std::vector<std::string> fields;
    reader.next(fields);
    util::ProgressPhase phase(progress, "splitting", rows, 0);
    while (reader.next(fields)) {
      util::throw_if_interrupted();
      if (reader.blank()) {
        continue;
      }
      Quota& q = column
                     ? by_class[*column < fields.size() ? fields[*column] : ""]
                     : overall;
      std::size_t part = choose(q, rng);
      files[part]->write(reader.raw());
      ++result.rows[part];
      progress.advance(1, 0);
    }
  }
  for (std::size_t i = 0; i < files.size(); ++i) {
    files[i]->commit(lake.root() / outputs[i], util::AtomicFile::Sync::none);
  }

  lake::AddOptions add;
  add.paths = outputs;
  add.cwd = lake.root();
  add.message = options.message;
  lake::StagedAdd staged = lake::stage_add(lake, add, true, progress);
  json params = {
      {"train", options.train}, {"test", options.test}, {"seed", options.seed}};
  if (options.val) {
    params["val"] = *options.val;
  }
  if (options.stratify) {
    params["stratify"] = *options.stratify;
  }
  json input = {{"artifact", data.artifact},
                {"hash", data.hash},
                {"node", data.node},
                {"path", data.path},
                {"role", "input"},
                {"size", data.size},
                {"type", "file"}};
  json node = {
      {"kind", "split"},
      {"message", options.message},
      {"inputs", json::array({input})},
      {"outputs", staged.outputs()},
      {"params", params},
      {"env", run_environment({}, {})},
      {"time",
       {{"start", start}, {"end", util::format_rfc3339(util::now_micros())}}}};
  if (json metadata = staged.metadata(); !metadata.empty()) {
    node["metadata"] = std::move(metadata);
  }
  result.node = lake.commit(std::move(node));
  result.outputs = lake::finish_add(lake, std::move(staged), result.node).paths;
  return result;
}

} // namespace mlake::lineage
