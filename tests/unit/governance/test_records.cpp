#include <mlake/governance/records.hpp>
#include <mlake/lake/lake.hpp>
#include <mlake/lake/query.hpp>
#include <mlake/util/error.hpp>

#include "../test_support.hpp"

using namespace mlake;
using mlake::test::TempDir;

namespace {

index::ApprovalRow
decision(const std::string& node,
         const std::string& version_node,
         const std::string& what,
         const std::string& user)
{
  index::ApprovalRow row;
  row.node = node;
  row.version_node = version_node;
  row.decision = what;
  row.user_name = user;
  return row;
}

} // namespace

TEST_CASE("a revocation withdraws the approvals before it, not after",
          "[governance]")
{
  std::vector<index::ApprovalRow> rows = {
      decision("n1", "v1", "approve", "alice"),
      decision("n2", "v2", "approve", "bob"),
      decision("n3", "v1", "approve", "bob"),
      decision("n4", "v1", "revoke", "carol"),
  };
  std::vector<std::string> approvers;
  CHECK_FALSE(governance::is_approved(rows, "v1", &approvers));
  CHECK(approvers.empty());
  CHECK(governance::is_approved(rows, "v2", &approvers));
  CHECK(approvers == std::vector<std::string>{"bob"});
  rows.push_back(decision("n5", "v1", "approve", "alice"));
  rows.push_back(decision("n6", "v1", "approve", "alice"));
  CHECK(governance::is_approved(rows, "v1", &approvers));
  CHECK(approvers == std::vector<std::string>{"alice"});
  CHECK(lake::approvals_in_force(rows, "v1").size() == 2);
  CHECK_FALSE(governance::is_approved(rows, "v3"));
}

TEST_CASE("alias names", "[governance]")
{
  for (const char* good :
       {"production", "staging", "champion-2", "v1.2", "a"}) {
    CHECK_NOTHROW(governance::check_alias(good));
  }
  for (const char* bad :
       {"", "latest", "9x", "-x", "pro duction", "a/b", "x@y"}) {
    CHECK_THROWS_AS(governance::check_alias(bad), Error);
  }
  CHECK_THROWS_AS(governance::check_alias(std::string(65, 'a')), Error);
}

TEST_CASE("which metrics are better lower, by their names", "[governance]")
{
  for (const char* lower : {"loss",
                            "val_loss",
                            "RMSE",
                            "error_rate",
                            "latency_ms",
                            "p99_latency",
                            "perplexity",
                            "err",
                            "top1_err",
                            "fpr"}) {
    CHECK(governance::lower_is_better(lower));
  }
  for (const char* higher :
       {"accuracy", "f1", "auc", "precision", "recall", "throughput"}) {
    CHECK_FALSE(governance::lower_is_better(higher));
  }
}
