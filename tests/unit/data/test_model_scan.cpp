#include <mlake/data/model_scan.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/fs.hpp>
#include <mlake/util/json.hpp>

#include <catch2/catch.hpp>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "test_support.hpp"

using mlake::Exit;
using mlake::json;
using mlake::data::import_severity;
using mlake::data::ModelScanOptions;
using mlake::data::scan_model;
using mlake::test::child_peak_rss_kib;
using mlake::test::error_of;
using mlake::test::TempDir;
using mlake::test::testdata;
using mlake::test::write_file;
namespace fs = std::filesystem;
using namespace std::string_view_literals;

namespace {

std::string
model_file(const std::string& name)
{
  return mlake::util::read_file(testdata("models/" + name));
}

// Scan `bytes` written to a file called `name`.
std::optional<json>
scan_bytes(const TempDir& dir, const std::string& name, std::string_view bytes)
{
  fs::path path = dir / "scanned";
  write_file(path, bytes);
  ModelScanOptions options;
  options.name = name;
  return scan_model(path, options);
}

json
scan_testdata(const std::string& name)
{
  ModelScanOptions options;
  options.name = name;
  auto result = scan_model(testdata("models/" + name), options);
  REQUIRE(result);
  // Whatever it found must be storable in a node.
  REQUIRE_NOTHROW(mlake::util::canonical_json(*result));
  return *result;
}

bool
has(const json& list, const std::string& value)
{
  return std::find(list.begin(), list.end(), json(value)) != list.end();
}

std::string
le64(std::uint64_t v)
{
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) {
    out[static_cast<std::size_t>(i)] = static_cast<char>(v >> (8 * i));
  }
  return out;
}

std::string
le32(std::uint32_t v)
{
  return le64(v).substr(0, 4);
}

std::string
safetensors(const std::string& header, std::size_t data_bytes)
{
  return le64(header.size()) + header + std::string(data_bytes, '\0');
}

// AddressSanitizer's shadow memory and quarantine of freed blocks make
// resident memory say little: the bounds are checked without it.
#ifdef __SANITIZE_ADDRESS__
constexpr bool sanitized = true;
#else
constexpr bool sanitized = false;
#endif

const std::vector<std::string> all_models = {"benign.pkl",
                                             "benign_p0.pkl",
                                             "benign_p2.pkl",
                                             "benign_p5.pkl",
                                             "harmful.pkl",
                                             "harmful_p0.pkl",
                                             "ordered_state.pkl",
                                             "pytorch.pt",
                                             "pytorch_harmful.pt",
                                             "pytorch_legacy.pt",
                                             "model.joblib",
                                             "model.safetensors",
                                             "model.gguf"};

} // namespace

TEST_CASE("safetensors: tensors, dtypes, parameters and metadata", "[data]")
{
  json m = scan_testdata("model.safetensors");
  CHECK(m.at("format") == "safetensors");
  CHECK(m.at("verdict") == "safe");
  CHECK_FALSE(m.contains("error"));
  CHECK(m.at("tensor_count") == 3);
  CHECK(m.at("parameters") == 6 + 3 + 8);
  CHECK(m.at("dtypes") == json({{"F32", 2}, {"F16", 1}}));
  CHECK(m.at("metadata").at("format") == "pt");
  REQUIRE(m.at("tensors").size() == 3);
  json names = json::array();
  for (const auto& t : m.at("tensors")) {
    names.push_back(t.at("name"));
  }
  CHECK(has(names, "fc.weight"));
  for (const auto& t : m.at("tensors")) {
    if (t.at("name") == "embed") {
      CHECK(t.at("shape") == json({4, 2}));
      CHECK(t.at("dtype") == "F16");
    }
  }
}

TEST_CASE("safetensors: malformed headers are reported, not trusted", "[data]")
{
  TempDir dir;
  auto error = [&](std::string_view bytes) {
    auto m = scan_bytes(dir, "m.safetensors", bytes);
    REQUIRE(m);
    CHECK(m->at("verdict") == "not verified");
    CHECK(m->at("format") == "safetensors");
    REQUIRE(m->contains("error"));
    return m->at("error").get<std::string>();
  };
  const std::string ok_tensor =
      R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";
  CHECK(error(safetensors("{" + ok_tensor + "}", 4))
            .find("[0, 8] outside the 4 bytes of data") != std::string::npos);
  CHECK(error(le64(1ull << 60) + "{}").find("goes past the end") !=
        std::string::npos);
  CHECK(error(std::string("\x01\x00", 2)).find("shorter") != std::string::npos);
  CHECK(error(safetensors("{\"a\":", 0)).find("not valid JSON") !=
        std::string::npos);
  CHECK(error(safetensors("[1,2]", 0)).find("not a JSON object") !=
        std::string::npos);
  CHECK(error(safetensors(
                  R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})",
                  8))
            .find("negative") != std::string::npos);
  CHECK(error(safetensors(
                  R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,80]}})",
                  8))
            .find("outside the 8 bytes") != std::string::npos);
  CHECK(
      error(safetensors(
                R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8))
          .find("has 8 bytes of data") != std::string::npos);
  CHECK(error(safetensors(
                  R"({"a":{"dtype":"F32","shape":[4294967296,4294967296,16]
                      ,"data_offsets":[0,8]}})",
                  8))
            .find("too large") != std::string::npos);
  CHECK(error(safetensors(R"({"a":{"dtype":"F32","shape":[2]}})", 0))
            .find("lacks") != std::string::npos);
  CHECK(
      error(
          safetensors(
              R"({"a":{"dtype":"F32","shape":[[[[2]]]],"data_offsets":[0,8]}})",
              8))
          .find("unexpected array") != std::string::npos);
  CHECK(error(safetensors(
                  R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},
                              "b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
                  12))
            .find("hole") != std::string::npos);
  CHECK(error(safetensors(R"({"__metadata__":{"k":1}})", 0))
            .find("not a string") != std::string::npos);
  // Deep nesting is refused at once, not parsed into a tree.
  CHECK(error(safetensors("{\"a\":" + std::string(100000, '[') + "}", 0))
            .find("unexpected array") != std::string::npos);
}

TEST_CASE("GGUF: version, metadata and tensors", "[data]")
{
  json m = scan_testdata("model.gguf");
  CHECK(m.at("format") == "gguf");
  CHECK(m.at("verdict") == "safe");
  CHECK(m.at("version") == 3);
  CHECK(m.at("tensor_count") == 2);
  CHECK(m.at("metadata_count") == 7);
  CHECK(m.at("metadata_keys").size() == 7);
  CHECK(m.at("metadata").at("general.architecture") == "llama");
  CHECK(m.at("metadata").at("general.name") == "tiny-test");
  CHECK(m.at("metadata").at("llama.context_length") == 128);
  CHECK(m.at("metadata").at("tokenizer.ggml.add_bos_token") == true);
  CHECK(m.at("metadata").at("tokenizer.ggml.tokens") == "array[string; 3]");
  CHECK(m.at("parameters") == 10);
  REQUIRE(m.at("tensors").size() == 2);
  CHECK(m.at("tensors")[0] == json({{"name", "token_embd.weight"},
                                    {"type", "F32"},
                                    {"shape", {2, 4}}}));
}

TEST_CASE("GGUF version 1: 32-bit counts and lengths", "[data]")
{
  TempDir dir;
  std::string bytes = "GGUF" + le32(1) + le32(1) + le32(1) + le32(12) +
                      "general.name" + le32(8) + le32(3) + "abc" + le32(1) +
                      "t" + le32(1) + le32(2) + le32(0) + le64(0);
  bytes += std::string(32 - bytes.size() % 32, '\0') + std::string(8, '\1');
  auto m = scan_bytes(dir, "old.gguf", bytes);
  REQUIRE(m);
  CHECK(m->at("verdict") == "safe");
  CHECK(m->at("metadata").at("general.name") == "abc");
  CHECK(m->at("parameters") == 2);
  CHECK(m->at("tensors")[0].at("shape") == json({2}));
}

TEST_CASE("GGUF: declared counts and lengths are checked against the file",
          "[data]")
{
  TempDir dir;
  auto error = [&](const std::string& bytes) {
    auto m = scan_bytes(dir, "m.gguf", bytes);
    REQUIRE(m);
    CHECK(m->at("verdict") == "not verified");
    REQUIRE(m->contains("error"));
    return m->at("error").get<std::string>();
  };
  const std::string header = "GGUF" + le32(3);
  // Huge counts: refused before anything is read or allocated.
  CHECK(error(header + le64(1ull << 62) + le64(0)).find("can hold") !=
        std::string::npos);
  CHECK(error(header + le64(0) + le64(~0ull)).find("can hold") !=
        std::string::npos);
  // A key whose length points past the end.
  CHECK(error(header + le64(0) + le64(1) + le64(1ull << 40) + "k" +
              std::string(20, '\0'))
            .find("truncated") != std::string::npos);
  // An array of 2^60 strings in a small file.
  CHECK(error(header + le64(0) + le64(1) + le64(1) + "k" + le32(9) + le32(8) +
              le64(1ull << 60) + std::string(16, '\0'))
            .find("cannot fit") != std::string::npos);
  CHECK(error(header + le64(0) + le64(1) + le64(1) + "k" + le32(99) +
              std::string(16, '\0'))
            .find("unknown metadata value type") != std::string::npos);
  CHECK(error("GGUF" + le32(7) + std::string(16, '\0')).find("version 7") !=
        std::string::npos);
  // A tensor whose data lies past the end.
  CHECK(error(header + le64(1) + le64(0) + le64(1) + "t" + le32(1) + le64(4) +
              le32(0) + le64(1ull << 40) + std::string(64, '\0'))
            .find("goes past the end") != std::string::npos);
  CHECK(error(header + le64(1) + le64(0) + le64(1) + "t" + le32(99) +
              std::string(40, '\0'))
            .find("99 dimensions") != std::string::npos);
  // A .gguf file without the magic.
  CHECK(error("GGML" + std::string(30, '\0')).find("no GGUF magic") !=
        std::string::npos);
}

TEST_CASE("pickles of protocols 0 to 5 without imports are safe", "[data]")
{
  for (auto [name, protocol] : {std::pair{"benign.pkl", 4},
                                std::pair{"benign_p2.pkl", 2},
                                std::pair{"benign_p5.pkl", 5}}) {
    INFO(name);
    json m = scan_testdata(name);
    CHECK(m.at("format") == "pickle");
    CHECK(m.at("verdict") == "safe");
    CHECK(m.at("protocol") == protocol);
    CHECK(m.at("pickles") == 1);
    CHECK(m.at("imports") == json::array());
    CHECK(m.at("unsafe_imports") == json::array());
    CHECK_FALSE(m.contains("error"));
    CHECK_FALSE(m.contains("notes"));
  }
  // Protocol 0 has no magic bytes: the extension says to walk it.
  json m = scan_testdata("benign_p0.pkl");
  CHECK(m.at("verdict") == "safe");
  CHECK_FALSE(m.contains("protocol"));

  json od = scan_testdata("ordered_state.pkl");
  CHECK(od.at("verdict") == "safe");
  CHECK(od.at("imports") == json({"collections.OrderedDict"}));
}

TEST_CASE("a pickle that would run a command is unsafe", "[data]")
{
  json m = scan_testdata("harmful.pkl");
  CHECK(m.at("format") == "pickle");
  CHECK(m.at("verdict") == "unsafe");
  // Protocol 4: STACK_GLOBAL of two memoized strings.
  CHECK(m.at("imports") == json({"posix.system"}));
  REQUIRE(m.at("unsafe_imports").size() == 1);
  CHECK(m.at("unsafe_imports")[0].at("import") == "posix.system");
  CHECK(m.at("unsafe_imports")[0].at("severity") == "dangerous");
  CHECK(m.at("unsafe_imports")[0].at("offset") == 28);
  CHECK_FALSE(m.at("unsafe_imports")[0].contains("where"));

  // Found by its bytes, whatever its name.
  TempDir dir;
  auto p0 = scan_bytes(dir, "notes.txt", model_file("harmful_p0.pkl"));
  REQUIRE(p0);
  CHECK(p0->at("verdict") == "unsafe");
  CHECK(p0->at("imports") == json({"os.system"}));
}

TEST_CASE("PyTorch zip: the pickles inside are walked", "[data]")
{
  json m = scan_testdata("pytorch.pt");
  CHECK(m.at("format") == "pytorch-zip");
  CHECK(m.at("verdict") == "safe");
  CHECK(m.at("entries") == 5);
  CHECK(m.at("pickle_entries") == json({"archive/data.pkl"}));
  CHECK(m.at("tensors") == 2);
  CHECK(m.at("parameters") == 9);
  CHECK(m.at("protocol") == 2);
  CHECK(has(m.at("imports"), "torch._utils._rebuild_tensor_v2"));
  CHECK(has(m.at("imports"), "torch._utils._rebuild_parameter"));
  CHECK(has(m.at("imports"), "torch.FloatStorage"));
  CHECK(has(m.at("imports"), "collections.OrderedDict"));

  json bad = scan_testdata("pytorch_harmful.pt");
  CHECK(bad.at("verdict") == "unsafe");
  REQUIRE(bad.at("unsafe_imports").size() == 1);
  CHECK(bad.at("unsafe_imports")[0].at("import") == "posix.system");
  CHECK(bad.at("unsafe_imports")[0].at("where") == "archive/data.pkl");
}

TEST_CASE("PyTorch before 1.6: five pickles, then storage bytes", "[data]")
{
  json m = scan_testdata("pytorch_legacy.pt");
  CHECK(m.at("format") == "pytorch-legacy");
  CHECK(m.at("verdict") == "safe");
  CHECK(m.at("pickles") == 5);
  CHECK(m.at("tensors") == 2);
  CHECK(m.at("parameters") == 9);
  CHECK(m.at("notes") ==
        json({"52 bytes of tensor storage follow the pickles"}));
}

TEST_CASE("joblib: the raw array bytes after a wrapper are skipped", "[data]")
{
  json m = scan_testdata("model.joblib");
  CHECK(m.at("format") == "joblib");
  CHECK(m.at("arrays") == 1);
  CHECK_FALSE(m.contains("error"));
  CHECK_FALSE(m.contains("notes"));
  CHECK(has(m.at("imports"), "joblib.numpy_pickle.NumpyArrayWrapper"));
  CHECK(has(m.at("imports"), "numpy.dtype"));
  // After the array bytes the walk goes on, to the estimator's class.
  CHECK(has(m.at("imports"), "sklearn.linear_model._base.LinearRegression"));
  // Code mlake does not know: neither safe nor known bad.
  CHECK(m.at("verdict") == "not verified");
  REQUIRE(m.at("unsafe_imports").size() == 1);
  CHECK(m.at("unsafe_imports")[0].at("severity") == "unknown");
}

TEST_CASE("several pickles in a file, and bytes after them", "[data]")
{
  TempDir dir;
  auto both = scan_bytes(
      dir, "x.pkl", model_file("benign.pkl") + model_file("harmful.pkl"));
  REQUIRE(both);
  CHECK(both->at("pickles") == 2);
  CHECK(both->at("verdict") == "unsafe");

  auto trailing =
      scan_bytes(dir, "x.pkl", model_file("benign.pkl") + "garbage");
  REQUIRE(trailing);
  CHECK(trailing->at("verdict") == "safe");
  CHECK(trailing->at("notes")[0].get<std::string>().find("7 bytes after") !=
        std::string::npos);

  // A second pickle that is garbled: the scan cannot vouch for it.
  auto garbled =
      scan_bytes(dir, "x.pkl", model_file("benign.pkl") + "\x80\x04\xff");
  REQUIRE(garbled);
  CHECK(garbled->at("verdict") == "not verified");
  CHECK(garbled->at("error").get<std::string>().find("unknown opcode 0xff") !=
        std::string::npos);
}

TEST_CASE("a truncated or garbled pickle is never safe", "[data]")
{
  TempDir dir;
  std::string benign = model_file("benign.pkl");
  for (std::size_t n = 0; n < benign.size(); ++n) {
    INFO(n);
    auto m = scan_bytes(dir, "b.pkl", benign.substr(0, n));
    if (m) {
      CHECK(m->at("verdict") == "not verified");
      CHECK(m->contains("error"));
    }
  }
  auto m = scan_bytes(dir, "b.pkl", "\x80\x04K\x01\x00."sv);
  REQUIRE(m);
  CHECK(m->at("error").get<std::string>().find(
            "unknown opcode 0x00 at byte 4") != std::string::npos);
  // Lengths that point past the end, huge and negative.
  for (std::string bad : {std::string("\x80\x04\x8d") + le64(~0ull) + ".",
                          std::string("\x80\x04X") + le32(0xFFFFFFF0) + ".",
                          std::string("\x80\x04T\xff\xff\xff\xff."),
                          std::string("\x80\x04\x8b\xff\xff\xff\xff."),
                          std::string("\x80\x04\x95") + le64(1ull << 50) + "N.",
                          std::string("\x80\x09N.")}) {
    auto r = scan_bytes(dir, "b.pkl", bad);
    REQUIRE(r);
    CHECK(r->at("verdict") == "not verified");
    CHECK(r->contains("error"));
  }
  // Stack underflow, a memo key never set, a STOP on an empty stack.
  for (std::string bad : {std::string("\x80\x02R."),
                          std::string("\x80\x02h\x05."),
                          std::string("."),
                          std::string("\x80\x02(u.")}) {
    auto r = scan_bytes(dir, "b.pkl", bad);
    REQUIRE(r);
    CHECK(r->at("verdict") == "not verified");
  }
}

TEST_CASE("an import found before a pickle breaks still counts", "[data]")
{
  TempDir dir;
  std::string harmful = model_file("harmful.pkl");
  auto m = scan_bytes(dir, "h.pkl", harmful.substr(0, harmful.size() - 3));
  REQUIRE(m);
  CHECK(m->at("verdict") == "unsafe");
  CHECK(m->contains("error"));
}

TEST_CASE("STACK_GLOBAL from strings the walk cannot follow is not safe",
          "[data]")
{
  TempDir dir;
  // STACK_GLOBAL of two integers: not something pickle accepts.
  auto ints = scan_bytes(dir, "x.pkl", "\x80\x04K\x01K\x02\x93.");
  REQUIRE(ints);
  CHECK(ints->at("verdict") == "not verified");
  // Built from a module in the memo: resolved all the same.
  auto memo =
      scan_bytes(dir,
                 "x.pkl",
                 "\x80\x04\x8c\x02os\x94\x8c\x06system\x94h\x00h\x01\x93."sv);
  REQUIRE(memo);
  CHECK(memo->at("verdict") == "unsafe");
  CHECK(has(memo->at("imports"), "os.system"));
  // Protocol 0 INST, and __builtin__ from Python 2.
  auto inst = scan_bytes(dir, "x.pkl", "(S'ls'\nios\nsystem\n.");
  REQUIRE(inst);
  CHECK(has(inst->at("imports"), "os.system"));
  auto py2 = scan_bytes(dir, "x.pkl", "c__builtin__\neval\n(S'1'\ntR.");
  REQUIRE(py2);
  CHECK(py2->at("imports") == json({"builtins.eval"}));
  CHECK(py2->at("verdict") == "unsafe");
}

TEST_CASE("import severities", "[data]")
{
  CHECK(import_severity("collections", "OrderedDict") == "safe");
  CHECK(import_severity("torch", "HalfStorage") == "safe");
  CHECK(import_severity("torch._utils", "_rebuild_tensor_v2") == "safe");
  CHECK(import_severity("__builtin__", "set") == "safe");
  CHECK(import_severity("numpy.core.multiarray", "_reconstruct") == "safe");
  CHECK(import_severity("os", "system") == "dangerous");
  CHECK(import_severity("os.path", "join") == "dangerous");
  CHECK(import_severity("posix", "system") == "dangerous");
  CHECK(import_severity("nt", "system") == "dangerous");
  CHECK(import_severity("subprocess", "Popen") == "dangerous");
  CHECK(import_severity("builtins", "eval") == "dangerous");
  CHECK(import_severity("builtins", "getattr") == "dangerous");
  CHECK(import_severity("__builtin__", "__import__") == "dangerous");
  CHECK(import_severity("runpy", "_run_code") == "dangerous");
  CHECK(import_severity("pickle", "loads") == "dangerous");
  CHECK(import_severity("marshal", "loads") == "dangerous");
  CHECK(import_severity("webbrowser", "open") == "dangerous");
  CHECK(import_severity("torch", "FloatStorage.__init__.__globals__") ==
        "dangerous");
  CHECK(import_severity("osmosis", "x") == "unknown");
  CHECK(import_severity("sklearn.tree", "DecisionTreeClassifier") == "unknown");
}

TEST_CASE("files that are not models are left alone", "[data]")
{
  TempDir dir;
  CHECK_FALSE(scan_bytes(dir, "data.csv", "a,b\n1,2\n"));
  CHECK_FALSE(scan_bytes(dir, "weights.bin", "hello"));
  CHECK_FALSE(scan_bytes(dir, "empty", ""));
  // Text that starts like a protocol 0 GLOBAL but is no pickle.
  CHECK_FALSE(scan_bytes(dir, "words.txt", "cat\ndog\nfish\n"));
  CHECK(scan_bytes(dir, "words.pkl", "cat\ndog\nfish\n"));
  // A zip without pickles (an .npz, a .docx).
  std::string zip = model_file("pytorch.pt");
  CHECK(scan_bytes(dir, "a.zip", zip));
  CHECK_FALSE(scan_bytes(
      dir, "a.zip", std::string("PK\x05\x06", 4) + std::string(18, '\0')));
  // A .pt that is neither a zip nor a pickle is reported.
  auto pt = scan_bytes(dir, "model.pt", "model lr=0.1\n");
  REQUIRE(pt);
  CHECK(pt->at("verdict") == "not verified");
  CHECK(error_of([&] { scan_model(dir / "missing"); })->code() ==
        Exit::not_found);
}

TEST_CASE("every prefix of every model file: no crash, never safe", "[data]")
{
  TempDir dir;
  for (const auto& name : all_models) {
    std::string bytes = model_file(name);
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      INFO(name << " cut at " << n);
      std::optional<json> m;
      REQUIRE_NOTHROW(m = scan_bytes(dir, name, bytes.substr(0, n)));
      if (m && m->at("verdict") == "safe") {
        // Only bytes the scan does not read may go missing unnoticed:
        // GGUF alignment padding after the last tensor, and the storage
        // bytes after a legacy checkpoint's pickles (counted, not read).
        bool gguf_padding = name == "model.gguf" && n >= bytes.size() - 24;
        bool legacy_storage =
            name == "pytorch_legacy.pt" && n >= bytes.size() - 52;
        CHECK((gguf_padding || legacy_storage));
      }
      if (m) {
        REQUIRE_NOTHROW(mlake::util::canonical_json(*m));
      }
    }
  }
}

TEST_CASE("random garbage: no crash, no huge allocation", "[data]")
{
  TempDir dir;
  std::mt19937_64 rng(5001);
  const std::vector<std::string> prefixes = {
      "",
      "\x80\x02",
      "\x80\x04\x95",
      std::string("GGUF\x03\x00\x00\x00", 8),
      std::string("PK\x03\x04", 4),
      le64(64) + "{"};
  const std::vector<std::string> names = {
      "m.pkl", "m.pt", "m.joblib", "m.gguf", "m.safetensors", "m.bin"};
  long kib = child_peak_rss_kib([&] {
    for (int round = 0; round < 300; ++round) {
      std::string bytes =
          prefixes[static_cast<std::size_t>(round) % prefixes.size()];
      std::size_t n = rng() % 4096;
      for (std::size_t i = 0; i < n; ++i) {
        bytes.push_back(static_cast<char>(rng()));
      }
      auto m =
          scan_bytes(dir,
                     names[static_cast<std::size_t>(round / 6) % names.size()],
                     bytes);
      if (m && m->at("verdict") == "safe" && m->at("format") != "gguf" &&
          m->at("format") != "safetensors") {
        ::_exit(3); // garbage that passes as a safe pickle
      }
      mlake::util::canonical_json(m.value_or(json()));
    }
  });
  CHECK((sanitized || kib < 200 * 1024));
}

TEST_CASE("a pickle of millions of objects is walked in bounded memory",
          "[data]")
{
  TempDir dir;
  // 3M empty lists, each memoized: more than the stack and memo keep.
  std::string bytes = "\x80\x04";
  for (int i = 0; i < 3000000; ++i) {
    bytes += "]\x94";
  }
  bytes += ".";
  write_file(dir / "big.pkl", bytes);
  bytes.clear();
  bytes.shrink_to_fit();
  long kib = child_peak_rss_kib([&] {
    auto m = scan_model(dir / "big.pkl");
    if (!m || m->at("verdict") != "not verified" ||
        m->at("error").get<std::string>().find("objects on the pickle stack") ==
            std::string::npos) {
      ::_exit(3);
    }
  });
  CHECK((sanitized || kib < 256 * 1024));

  // A long list built with APPENDS keeps a few items, not all.
  std::string list = "\x80\x04]\x94(";
  for (int i = 0; i < 1000000; ++i) {
    list += "K\x01";
  }
  list += "e.";
  write_file(dir / "list.pkl", list);
  auto m = scan_model(dir / "list.pkl");
  REQUIRE(m);
  CHECK(m->at("verdict") == "safe");
}
