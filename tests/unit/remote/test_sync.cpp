// push, pull, fetch and clone between lakes, through a folder and S3.

#include <mlake/lake/absent.hpp>
#include <mlake/lake/lock_file.hpp>
#include <mlake/lake/maintenance.hpp>
#include <mlake/lake/workspace.hpp>
#include <mlake/remote/sync.hpp>
#include <mlake/util/hash.hpp>

#include <thread>

#include "remote/remote_support.hpp"

using namespace mlake;
using namespace mlake::test;

namespace {

lake::AddResult
add(lake::Lake& lake, std::vector<std::string> paths, const std::string& why)
{
  lake::AddOptions options;
  options.paths = std::move(paths);
  options.cwd = lake.root();
  options.message = why;
  return lake::add(lake, options);
}

void
configure(lake::Lake& lake, const lake::RemoteConfig& remote)
{
  lake.lock("test");
  lake::Config config = lake.config();
  config.remotes.push_back(remote);
  config.default_remote = remote.name;
  lake.set_config(config);
  lake.unlock();
}

remote::PushResult
push(lake::Lake& lake, std::vector<std::string> refs = {})
{
  remote::PushOptions options;
  options.refs = std::move(refs);
  options.cwd = lake.root();
  return remote::push(lake, options);
}

remote::PullResult
pull(lake::Lake& lake,
     bool metadata_only = false,
     std::vector<std::string> refs = {})
{
  remote::PullOptions options;
  options.metadata_only = metadata_only;
  options.update_workspace = !metadata_only;
  options.refs = std::move(refs);
  options.cwd = lake.root();
  auto result = remote::pull(lake, options);
  lake.unlock();
  return result;
}

void
check_sound(lake::Lake& lake)
{
  auto report = lake::fsck(lake);
  for (const auto& f : report.faults) {
    FAIL_CHECK(f.kind << " " << f.target << ": " << f.message);
  }
}

void
round_trip(const lake::RemoteConfig& config)
{
  TempDir dir;
  set_test_identity();
  lake::Lake a = lake::Lake::init(dir / "a");
  write_file(a.root() / "data" / "one.csv", "x,y\n1,2\n");
  write_file(a.root() / "data" / "two.csv", "x,y\n3,4\n");
  write_file(a.root() / "model.bin", std::string(100000, 'm'));
  REQUIRE(add(a, {"data", "model.bin"}, "first").node);
  configure(a, config);

  auto pushed = push(a);
  CHECK(pushed.nodes_sent == 1);
  CHECK(pushed.objects_sent == 4); // tree, two blobs, model
  CHECK(push(a).objects_sent == 0);

  remote::CloneOptions clone;
  clone.remote = config;
  clone.dir = dir / "b";
  auto cloned = remote::clone(clone);
  CHECK(cloned.pull.nodes_received == 1);
  CHECK(slurp(dir / "b" / "data" / "two.csv") == "x,y\n3,4\n");
  CHECK(slurp(dir / "b" / "model.bin") == std::string(100000, 'm'));
  lake::Lake b = lake::Lake::open(dir / "b");
  CHECK(lake::LockFile::load(b.root()).entries ==
        lake::LockFile::load(a.root()).entries);
  check_sound(b);

  // New work in a reaches b; b's local change is kept.
  write_file(a.root() / "model.bin", "better");
  REQUIRE(add(a, {"model.bin"}, "second").node);
  write_file(a.root() / "data" / "one.csv", "x,y\n9,9\n");
  REQUIRE(add(a, {"data"}, "third").node);
  push(a);
  write_file(b.root() / "data" / "two.csv", "mine\n");
  auto pulled = pull(b);
  CHECK(pulled.nodes_received == 2);
  CHECK(slurp(b.root() / "model.bin") == "better");
  CHECK(pulled.kept == std::vector<std::string>{"data"});
  CHECK(slurp(b.root() / "data" / "two.csv") == "mine\n");
  check_sound(b);
}

} // namespace

TEST_CASE("push and clone through a folder remote", "[remote]")
{
  TempDir shared;
  round_trip(folder_remote_config(shared / "remote"));
}

TEST_CASE("push and clone through S3", "[remote][s3]")
{
  round_trip(s3_remote_config("sync"));
}

TEST_CASE("fetch takes history without content and pull NAME takes one",
          "[remote]")
{
  TempDir dir;
  set_test_identity();
  lake::Lake a = lake::Lake::init(dir / "a");
  write_file(a.root() / "one.txt", "one\n");
  write_file(a.root() / "two.txt", "two\n");
  REQUIRE(add(a, {"one.txt", "two.txt"}, "both").node);
  configure(a, folder_remote_config(dir / "remote"));
  push(a);

  lake::Lake b = lake::Lake::init(dir / "b");
  configure(b, folder_remote_config(dir / "remote"));
  auto fetched = pull(b, true);
  CHECK(fetched.nodes_received == 1);
  CHECK(fetched.objects_received == 0);
  CHECK(b.index().node_count() == 1);
  CHECK(lake::load_absent(b).size() == 2);
  auto report = lake::fsck(b);
  CHECK(report.faults.empty());
  CHECK(report.not_downloaded == 2);
  CHECK_FALSE(fs::exists(b.root() / "one.txt"));

  auto one = pull(b, false, {"one.txt"});
  CHECK(one.objects_received == 1);
  CHECK(slurp(b.root() / "one.txt") == "one\n");
  CHECK_FALSE(fs::exists(b.root() / "two.txt"));
  CHECK(lake::load_absent(b).size() == 1);

  auto rest = pull(b);
  CHECK(rest.objects_received == 1);
  CHECK(slurp(b.root() / "two.txt") == "two\n");
  CHECK(lake::load_absent(b).empty());
  report = lake::fsck(b);
  CHECK(report.faults.empty());
  CHECK(report.not_downloaded == 0);
}

TEST_CASE("two lakes pushing at once both land and a third sees both",
          "[remote]")
{
  TempDir dir;
  set_test_identity();
  auto config = folder_remote_config(dir / "remote");
  lake::Lake a = lake::Lake::init(dir / "a");
  lake::Lake b = lake::Lake::init(dir / "b");
  for (auto* l : {&a, &b}) {
    for (int i = 0; i < 200; ++i) {
      write_file(l->root() / "files" / (std::to_string(i) + ".txt"),
                 l->root().filename().string() + std::to_string(i));
    }
    REQUIRE(
        add(*l, {"files"}, "work of " + l->root().filename().string()).node);
    configure(*l, config);
  }
  // Both into a remote that does not exist yet: both make its folders.
  std::exception_ptr failed_b;
  std::thread other([&] {
    try {
      push(b);
    } catch (...) {
      failed_b = std::current_exception();
    }
  });
  std::exception_ptr failed_a;
  try {
    push(a);
  } catch (...) {
    failed_a = std::current_exception();
  }
  other.join();
  for (auto failed : {failed_a, failed_b}) {
    if (failed) {
      try {
        std::rethrow_exception(failed);
      } catch (const std::exception& e) {
        FAIL("a push failed: " << e.what());
      }
    }
  }

  remote::CloneOptions clone;
  clone.remote = config;
  clone.dir = dir / "c";
  auto cloned = remote::clone(clone);
  CHECK(cloned.pull.nodes_received == 2);
  lake::Lake c = lake::Lake::open(dir / "c");
  CHECK(c.index().heads().size() == 2);
  check_sound(c);
}

TEST_CASE("push refuses a damaged object and sends nothing of it", "[remote]")
{
  TempDir dir;
  set_test_identity();
  lake::Lake a = lake::Lake::init(dir / "a");
  write_file(a.root() / "x.txt", "precious\n");
  auto added = add(a, {"x.txt"}, "x");
  configure(a, folder_remote_config(dir / "remote"));
  fs::path object = a.objects().path_of(added.paths[0].hash);
  fs::permissions(object, fs::perms::owner_write, fs::perm_options::add);
  write_file(object, "damaged\n");
  auto error = error_of([&] { push(a); });
  REQUIRE(error);
  CHECK(error->code() == Exit::integrity);
  CHECK_FALSE(
      fs::exists(dir / "remote" / remote::object_key(added.paths[0].hash)));
  CHECK(names_in(dir / "remote" / "nodes").empty());
}

TEST_CASE("pull refuses a node whose bytes do not match its name", "[remote]")
{
  TempDir dir;
  set_test_identity();
  lake::Lake a = lake::Lake::init(dir / "a");
  write_file(a.root() / "x.txt", "x\n");
  auto added = add(a, {"x.txt"}, "x");
  configure(a, folder_remote_config(dir / "remote"));
  push(a);
  fs::path node = dir / "remote" / remote::node_key(*added.node);
  fs::permissions(node, fs::perms::owner_write, fs::perm_options::add);
  std::string bytes = slurp(node);
  bytes[bytes.find("\"x\"")] = ' ';
  write_file(node, bytes);

  lake::Lake b = lake::Lake::init(dir / "b");
  configure(b, folder_remote_config(dir / "remote"));
  auto error = error_of([&] { pull(b); });
  b.unlock();
  REQUIRE(error);
  CHECK(error->code() == Exit::integrity);
  CHECK_THAT(error->what(), Catch::Contains(*added.node));
  CHECK(names_in(b.dir() / "nodes").empty());
  CHECK_FALSE(fs::exists(b.root() / "x.txt"));
}

TEST_CASE("choosing a remote", "[remote]")
{
  LakeFixture f;
  auto error = error_of([&] { remote::select_remote(f.lake, ""); });
  REQUIRE(error);
  CHECK(error->code() == Exit::usage);
  configure(f.lake, folder_remote_config(f.dir / "one", "one"));
  CHECK(remote::select_remote(f.lake, "").config.name == "one");
  error = error_of([&] { remote::select_remote(f.lake, "two"); });
  REQUIRE(error);
  CHECK(error->code() == Exit::not_found);
  CHECK(remote::clone_dir_name("s3://bucket/team/iris/") == "iris");
  CHECK(remote::clone_dir_name("/srv/lakes/churn") == "churn");
}
