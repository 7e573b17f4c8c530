#!/bin/bash
# Push, clone, pull and fetch through an S3 remote (the s3rver that ctest
# starts): the walk-through of remote-roundtrip.sh, which t4002 runs against
# a folder. The 12 MB model goes up in 5 MiB parts.
. ./remote-roundtrip.sh || exit 2 # before lib.sh, which leaves this folder
TEST_IN_MEMORY=1 # thousands of small files
. ./lib.sh
use_s3

REMOTE_KIND=s3
REMOTE_ADD_OPTS=(--part-size 5242880)
remote_url() {
  s3_url "$1"
}

push_pull_roundtrip
expect_hints_name_real_commands
pass
