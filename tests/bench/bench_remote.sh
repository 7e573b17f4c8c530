#!/usr/bin/env bash
# Remote benchmarks: push, then pull (a clone: history, content and the
# checkout), of 10,000 small files and of a 1 GiB file,
#   (a) to a folder remote, against cp -r and rsync of the same files;
#   (b) to s3rver on 127.0.0.1, against `aws s3 sync` and, when it is
#       installed, `git annex copy --to` an S3 special remote.
# Side by side, median of BENCH_RUNS runs (default 3), with ratios.
#
#   tests/bench/bench_remote.sh [path/to/mlake]
#
# BENCH_QUICK=1 uses 1,000 files and 64 MiB; BENCH_FOLDER_ONLY=1 skips S3. s3rver must be installed
# (npm ci --prefix tests/s3); aws (awscli) and git-annex are optional.
# s3rver is a Node.js server that writes every object to disk with its
# metadata: it is the slowest part of the S3 cases, for every client alike.
set -euo pipefail

mlake=$(realpath "${1:-$(dirname "$0")/../../build/mlake}")
here=$(cd "$(dirname "$0")" && pwd)
runs=${BENCH_RUNS:-3}
root=$(mktemp -d /tmp/mlake-bench-remote.XXXXXX)
state=$root/s3rver.state
cleanup() {
  bash "$here/../s3/s3rver.sh" stop "$state" > /dev/null 2>&1 || true
  chmod -R u+w "$root" 2> /dev/null
  rm -rf "$root"
}
trap cleanup EXIT
if [ -n "${BENCH_QUICK:-}" ]; then
  small_files=1000 big_mib=64
else
  small_files=10000 big_mib=1024
fi
export MLAKE_USER_NAME=bench MLAKE_USER_EMAIL=bench@example.org
export HOME=$root/home GIT_CONFIG_NOSYSTEM=1
mkdir -p "$HOME"
git config --global user.name bench
git config --global user.email bench@example.org
git config --global init.defaultBranch main
say() { printf '%s\n' "$*" >&2; }
have() { command -v "$1" > /dev/null 2>&1; }

say "making data in $root ..."
python3 - "$root/data/small" "$small_files" <<'PY'
import os, random, sys
root, count = sys.argv[1], int(sys.argv[2])
r = random.Random(1)
for i in range(count):
    d = os.path.join(root, f"d{i % 16:02d}", f"e{(i // 16) % 32:02d}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"f{i:06d}.bin"), "wb") as f:
        f.write(r.randbytes(r.randint(1024, 8192)))
PY
mkdir -p "$root/data/big"
head -c $((big_mib * 1024 * 1024)) /dev/zero |
  openssl enc -aes-128-ctr -nosalt -K 000102030405060708090a0b0c0d0e0f \
    -iv 00000000000000000000000000000000 > "$root/data/big/big.bin"

# One lake per data set, made once: push and pull are what is timed.
for set in small big; do
  mkdir -p "$root/lake-$set"
  (cd "$root/lake-$set" && "$mlake" init -q && cp -r "$root/data/$set" data &&
    "$mlake" add data -m "$set" -q)
done

bash "$here/../s3/s3rver.sh" start "$state" > /dev/null
# shellcheck disable=SC1090
. "$state"
endpoint=$MLAKE_TEST_S3_ENDPOINT
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_DEFAULT_REGION=us-east-1

# median CMD...: median wall time of running `bash -c CMD` $runs times, in
# seconds; each run gets a fresh $N (a counter) for fresh destinations.
median() {
  local cmd=$1 times=() n
  for n in $(seq "$runs"); do
    sync
    local start end
    start=$(date +%s.%N)
    N=$n$RANDOM bash -c "$cmd" > "$root/log" 2>&1 ||
      { say "failed: $cmd"; cat "$root/log" >&2; echo nan; return; }
    end=$(date +%s.%N)
    times+=("$(awk -v s="$start" -v e="$end" 'BEGIN { print e - s }')")
  done
  printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {
    v = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
    printf "%.3f", v }'
}

results=()
row() { # case, mlake s, peer, peer s, target
  local ratio=-
  if [[ $4 != skipped && $4 != nan && $2 != nan ]]; then
    ratio=$(awk -v a="$2" -v b="$4" 'BEGIN { printf "%.2fx", (b > 0 ? a / b : 0) }')
  fi
  results+=("$(printf '%-30s %9s  %-24s %9s  %7s  %s' "$1" "$2" "$3" "$4" "$ratio" "$5")")
}

export mlake root endpoint
for set in small big; do
  label=$([ $set = small ] && echo "$small_files files" || echo "${big_mib} MiB file")
  lake=$root/lake-$set

  say "$label: folder remote ..."
  push=$(median "cd $lake && $mlake remote add r\$N $root/dir-$set-\$N -q && $mlake push r\$N -q")
  cp_up=$(median "cp -r $root/data/$set $root/cp-$set-\$N")
  # mlake makes what it writes durable (syncfs) before it records that it
  # wrote it; cp does not, so it is measured both ways.
  cp_sync_up=$(median "cp -r $root/data/$set $root/cpsync-$set-\$N && sync")
  rsync_up=$(median "rsync -a $root/data/$set/ $root/rsync-$set-\$N/")
  pull=$(median "$mlake clone $root/dir-$set-1* $root/clone-dir-$set-\$N -q")
  cp_down=$(median "cp -r $root/cp-$set-1* $root/cpback-$set-\$N")
  cp_sync_down=$(median "cp -r $root/cp-$set-1* $root/cpsyncback-$set-\$N && sync")
  row "push $label, folder" "$push" "cp -r" "$cp_up" "target <= 1.5x"
  row "push $label, folder" "$push" "cp -r && sync" "$cp_sync_up" ""
  row "push $label, folder" "$push" "rsync -a" "$rsync_up" ""
  row "pull (clone) $label, folder" "$pull" "cp -r" "$cp_down" "target <= 1.5x"
  row "pull (clone) $label, folder" "$pull" "cp -r && sync" "$cp_sync_down" ""
  rm -rf "$root"/cp-$set-* "$root"/cpback-$set-* "$root"/cpsync*-$set-* "$root"/rsync-$set-* "$root"/clone-dir-$set-*

  [ -n "${BENCH_FOLDER_ONLY:-}" ] && continue
  say "$label: S3 (s3rver) ..."
  push=$(median "cd $lake && $mlake remote add s\$N s3://mlake-test/mlake-$set-\$N --endpoint $endpoint -q && $mlake push s\$N -q")
  pull=$(median "$mlake clone \$(cd $lake && $mlake remote list --json | python3 -c 'import json,sys; print([r[\"url\"] for r in json.load(sys.stdin) if r[\"name\"].startswith(\"s\")][0])') $root/clone-s3-$set-\$N --endpoint $endpoint -q")
  if have aws; then
    aws_up=$(median "aws --endpoint-url $endpoint s3 sync --quiet $root/data/$set s3://mlake-test/aws-$set-\$N")
    aws_down=$(median "aws --endpoint-url $endpoint s3 sync --quiet s3://mlake-test/\$(aws --endpoint-url $endpoint s3 ls s3://mlake-test/ | awk '/aws-$set-/ {print \$2; exit}') $root/awsback-$set-\$N")
  else
    aws_up=skipped aws_down=skipped
  fi
  row "push $label, S3" "$push" "aws s3 sync" "$aws_up" "target < 1x"
  row "pull (clone) $label, S3" "$pull" "aws s3 sync" "$aws_down" "target < 1x"
  if have git-annex; then
    annex=$(median "cd $root && rm -rf annex-$set-\$N && mkdir annex-$set-\$N && cd annex-$set-\$N && git init -q && git annex init -q bench && git config annex.security.allowed-ip-addresses 127.0.0.1 && cp -r $root/data/$set data && git annex add -q data > /dev/null && git commit -qm d && git annex initremote s3 type=S3 encryption=none host=127.0.0.1 port=${endpoint##*:} protocol=http requeststyle=path bucket=mlake-test fileprefix=annex-$set-\$N/ signature=v4 > /dev/null && git annex copy -q --to s3 data")
    row "push $label, S3" "$push" "git annex add+copy --to" "$annex" "(annex time includes its add)"
  else
    row "push $label, S3" "$push" "git annex copy --to" "skipped" "(git-annex not installed)"
  fi
  rm -rf "$root"/clone-s3-$set-* "$root"/awsback-$set-* "$root"/annex-$set-*
done

printf '\n%-30s %9s  %-24s %9s  %7s  %s\n' "case" "mlake s" "reference" "ref s" "ratio" "target"
printf '%s\n' "${results[@]}"
