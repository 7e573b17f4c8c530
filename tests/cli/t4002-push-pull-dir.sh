#!/bin/bash
# Push, clone, pull and fetch through a folder remote (a shared disk): the
# walk-through of remote-roundtrip.sh, which t4003 runs against S3.
. ./remote-roundtrip.sh || exit 2 # before lib.sh, which leaves this folder
TEST_IN_MEMORY=1 # thousands of small files
. ./lib.sh

REMOTE_KIND=dir
REMOTE_ADD_OPTS=()
mkdir -p "$TEST_ROOT/remotes"
remote_url() {
  echo "$TEST_ROOT/remotes/$1"
}

push_pull_roundtrip
expect_hints_name_real_commands
pass
