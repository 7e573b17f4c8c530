#!/usr/bin/env bash
# Foundation benchmarks: mlake add / status / checkout against the tools
# users compare it with, on the same data, side by side, with ratios.
#
#   tests/bench/bench_foundation.sh [path/to/mlake]
#
# Environment:
#   BENCH_DIR    where to build the data (default: a new folder in /tmp)
#   BENCH_RUNS   runs per measurement; the median is shown (default 5)
#   BENCH_SLOW_RUNS  runs for peers that take tens of seconds (default 1)
#   BENCH_QUICK=1    smaller data (1,000 files, 64 MiB, 10,000 for status)
#
# Data is deterministic: 10,000 files of 1-8 KiB in nested folders, one
# 1 GiB file, and 100,000 small files for status. The page cache is warm
# for every tool alike. Peers that are not installed are skipped, saying so.
set -euo pipefail

mlake=$(realpath "${1:-$(dirname "$0")/../../build/mlake}")
runs=${BENCH_RUNS:-5}
slow_runs=${BENCH_SLOW_RUNS:-1}
root=${BENCH_DIR:-$(mktemp -d /tmp/mlake-bench.XXXXXX)}
mkdir -p "$root"
[ -n "${BENCH_DIR:-}" ] || trap 'rm -rf "$root"' EXIT

if [ -n "${BENCH_QUICK:-}" ]; then
  small_files=1000 big_mib=64 many_files=10000
else
  small_files=10000 big_mib=1024 many_files=100000
fi

export MLAKE_USER_NAME=bench MLAKE_USER_EMAIL=bench@example.org
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.org
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.org
export GIT_CONFIG_NOSYSTEM=1 HOME="$root/home"
mkdir -p "$HOME"
git config --global init.defaultBranch main
git config --global advice.detachedHead false
git config --global gc.auto 0

say() { printf '%s\n' "$*" >&2; }

# --- data ---------------------------------------------------------------
make_files() { # dir count seed
  python3 - "$1" "$2" "$3" <<'PY'
import os, random, sys
root, count, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
r = random.Random(seed)
for i in range(count):
    d = os.path.join(root, f"d{i % 16:02d}", f"e{(i // 16) % 32:02d}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"f{i:06d}.bin"), "wb") as f:
        f.write(r.randbytes(r.randint(1024, 8192)))
PY
}

data="$root/data"
if [ ! -d "$data/small" ]; then
  say "making data in $data ..."
  mkdir -p "$data"
  make_files "$data/small" "$small_files" 1
  make_files "$data/many" "$many_files" 2
  # Incompressible and deterministic: AES-CTR of zeros with a fixed key.
  head -c $((big_mib * 1024 * 1024)) /dev/zero |
    openssl enc -aes-128-ctr -nosalt -K 000102030405060708090a0b0c0d0e0f \
      -iv 00000000000000000000000000000000 > "$data/big.bin"
fi
cat "$data/big.bin" > /dev/null

# --- measuring ----------------------------------------------------------
# time_runs N SETUP CMD: N times, run SETUP (untimed) then CMD in a fresh
# folder $W; print the median wall time of CMD in seconds.
#
# Every run gets a new folder and old ones are deleted only at the end of a
# case:
# ext4 scans for recently deleted inodes when it allocates new ones, so
# deleting thousands of files just before a run would slow down whichever
# tool runs next, and measure the filesystem rather than the tool.
time_runs() {
  local n=$1 setup=$2 cmd=$3 times=()
  for _ in $(seq "$n"); do
    mkdir -p "$root/runs"
    local W
    W=$(mktemp -d "$root/runs/run.XXXXXX")
    W="$W" bash -c "cd \"\$W\" && $setup" > "$root/log" 2>&1 ||
      { say "setup failed: $setup"; cat "$root/log" >&2; echo "nan"; return; }
    # The setup's own writes are flushed before the clock starts, so that
    # no tool pays for writing back the data the setup copied.
    sync
    local start end
    start=$(date +%s.%N)
    W="$W" bash -c "cd \"\$W\" && $cmd" > "$root/log" 2>&1 ||
      { say "failed: $cmd"; cat "$root/log" >&2; echo "nan"; return; }
    end=$(date +%s.%N)
    times+=("$(awk -v s="$start" -v e="$end" 'BEGIN { print e - s }')")
  done
  printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {
    if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

results=()
row() { # case, mlake seconds, peer name, peer seconds, target text
  local ratio="-"
  if [ "$4" != "skipped" ] && [ "$4" != "nan" ] && [ "$2" != "nan" ]; then
    ratio=$(awk -v a="$2" -v b="$4" 'BEGIN { printf "%.2fx", (b > 0 ? a / b : 0) }')
  fi
  results+=("$(printf '%-34s %9s  %-26s %9s  %7s  %s' "$1" "$2" "$3" "$4" "$ratio" "$5")")
}
have() { command -v "$1" > /dev/null 2>&1; }
fmt() { awk -v t="$1" 'BEGIN { if (t == "nan") print t; else printf "%.3f", t }'; }


# 1. add of the big file
say "add of the ${big_mib} MiB file ..."
big_setup="cp --reflink=never $data/big.bin big.bin && $mlake init -q"
t_add_big=$(fmt "$(time_runs "$runs" "$big_setup" "$mlake add big.bin -m big -q")")
rm -rf "$root/runs" # a handful of large files: no inode scans to fear
t_dgst=$(fmt "$(time_runs "$runs" "true" "openssl dgst -sha256 $data/big.bin")")
t_cp=$(fmt "$(time_runs "$runs" "true" "cp --reflink=never $data/big.bin copy.bin")")
rm -rf "$root/runs"
row "add ${big_mib} MiB file" "$t_add_big" "openssl dgst -sha256" "$t_dgst" "target <= 1.2x"
row "add ${big_mib} MiB file" "$t_add_big" "cp" "$t_cp" ""
if have git-annex; then
  t=$(fmt "$(time_runs "$slow_runs" "$big_setup && git init -q && git annex init -q bench" "git annex add -q big.bin")")
  rm -rf "$root/runs"
  row "add ${big_mib} MiB file" "$t_add_big" "git annex add" "$t" ""
else
  row "add ${big_mib} MiB file" "$t_add_big" "git annex add" "skipped" "(git-annex not installed)"
fi
if have git-lfs; then
  t=$(fmt "$(time_runs "$slow_runs" "$big_setup && git init -q && git lfs install --local > /dev/null && git lfs track big.bin > /dev/null && git add .gitattributes" "git add big.bin")")
  rm -rf "$root/runs"
  row "add ${big_mib} MiB file" "$t_add_big" "git lfs + git add" "$t" ""
else
  row "add ${big_mib} MiB file" "$t_add_big" "git lfs + git add" "skipped" "(git-lfs not installed)"
fi

# 2. add of the small files
say "add of $small_files small files ..."
small_setup="cp -r $data/small files && $mlake init -q"
t_add_small=$(fmt "$(time_runs "$runs" "$small_setup" "$mlake add files -m small -q")")
t=$(fmt "$(time_runs "$runs" "$small_setup && git init -q" "git add files")")
row "add $small_files files" "$t_add_small" "git add" "$t" "target < 1 s"
if have git-annex; then
  t=$(fmt "$(time_runs "$slow_runs" "$small_setup && git init -q && git annex init -q bench" "git annex add -q files")")
  row "add $small_files files" "$t_add_small" "git annex add" "$t" ""
else
  row "add $small_files files" "$t_add_small" "git annex add" "skipped" "(git-annex not installed)"
fi
if have git-lfs; then
  t=$(fmt "$(time_runs "$slow_runs" "$small_setup && git init -q && git lfs install --local > /dev/null && git lfs track 'files/**' > /dev/null && git add .gitattributes" "git add files")")
  row "add $small_files files" "$t_add_small" "git lfs + git add" "$t" ""
else
  row "add $small_files files" "$t_add_small" "git lfs + git add" "skipped" "(git-lfs not installed)"
fi
if have datalad; then
  t=$(fmt "$(time_runs "$slow_runs" "datalad create -q --force . && cp -r $data/small files" "datalad save -q -m small")")
  row "add $small_files files" "$t_add_small" "datalad save" "$t" ""
else
  row "add $small_files files" "$t_add_small" "datalad save" "skipped" "(datalad not installed)"
fi

# 3. status with nothing changed
say "status ..."
st="$root/status-small"
rm -rf "$st" && mkdir -p "$st" && cp -r "$data/small" "$st/files"
(cd "$st" && $mlake init -q && $mlake add files -m small -q && $mlake status -q &&
  git init -q && git add files && git commit -qm files && git status > /dev/null)
t_st=$(fmt "$(time_runs "$runs" "true" "$mlake -C $st status")")
t_git=$(fmt "$(time_runs "$runs" "true" "git -C $st status")")
row "status, $small_files unchanged" "$t_st" "git status" "$t_git" "target <= 1.0x"
st="$root/status-many"
rm -rf "$st" && mkdir -p "$st" && cp -r "$data/many" "$st/files"
(cd "$st" && $mlake init -q && $mlake add files -m many -q && $mlake status -q &&
  git init -q && git add files && git commit -qm files && git status > /dev/null)
t_st=$(fmt "$(time_runs "$runs" "true" "$mlake -C $st status")")
t_git=$(fmt "$(time_runs "$runs" "true" "git -C $st status")")
row "status, $many_files unchanged" "$t_st" "git status" "$t_git" "target < 0.3 s"

# 4. checkout into an empty folder
say "checkout ..."
co="$root/checkout"
rm -rf "$co" && mkdir -p "$co" && cp -r "$data/small" "$co/files"
(cd "$co" && $mlake init -q && $mlake add files -m small -q)
t_co=$(fmt "$(time_runs "$runs" "true" "$mlake -C $co checkout files --to \"\$W/out\" -q")")
t_cpr=$(fmt "$(time_runs "$runs" "true" "cp -r $co/files out")")
row "checkout $small_files files" "$t_co" "cp -r" "$t_cpr" "target <= 1.5x"

echo
echo "mlake foundation benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, medians of $runs runs ($slow_runs for git-annex, git-lfs, datalad)"
printf '%-34s %9s  %-26s %9s  %7s  %s\n' "case" "mlake s" "reference" "ref s" "ratio" "note"
printf '%s\n' "${results[@]}"
rm -rf "$root/runs"
