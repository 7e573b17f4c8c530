// Times the data module on one file, for bench_metafeatures.sh:
//
//   mlake_bench_metafeatures FILE [--target COLUMN] [--read-only]
//
// prints the metafeatures as JSON on stdout (nothing with --read-only,
// which only parses the records) and "bytes seconds MB/s" on stderr.

#include <mlake/data/csv.hpp>
#include <mlake/data/metafeatures.hpp>
#include <mlake/util/error.hpp>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

int
main(int argc, char** argv)
{
  if (argc < 2) {
    std::fprintf(
        stderr, "usage: %s FILE [--target COLUMN] [--read-only]\n", argv[0]);
    return 2;
  }
  const std::filesystem::path path = argv[1];
  mlake::data::MetafeatureOptions options;
  bool read_only = false;
  for (int i = 2; i < argc; ++i) {
    if (std::strcmp(argv[i], "--target") == 0 && i + 1 < argc) {
      options.target = argv[++i];
    } else if (std::strcmp(argv[i], "--read-only") == 0) {
      read_only = true;
    } else {
      std::fprintf(stderr, "unknown argument '%s'\n", argv[i]);
      return 2;
    }
  }
  try {
    auto start = std::chrono::steady_clock::now();
    if (read_only) {
      mlake::data::CsvReader reader(path);
      std::vector<std::string> fields;
      std::uint64_t records = 0;
      while (reader.next(fields)) {
        ++records;
      }
      std::cout << records << " records\n";
    } else {
      std::cout << mlake::data::metafeatures(path, options).dump(2) << '\n';
    }
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    double bytes = double(std::filesystem::file_size(path));
    std::fprintf(
        stderr, "%.0f %.3f %.1f\n", bytes, seconds, bytes / seconds / 1e6);
  } catch (const mlake::Error& e) {
    std::fprintf(stderr, "mlake_bench_metafeatures: error: %s\n", e.what());
    return static_cast<int>(e.code());
  }
  return 0;
}
