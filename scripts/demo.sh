#!/usr/bin/env bash
# A short tour of mlake's main job in a throw-away project: version a
# dataset and a model next to the code in git, change them, look at the
# history, and get an old version back. Usage: demo.sh [path/to/mlake]
set -euo pipefail
mlake=${1:-mlake}
mlake=$(command -v "$mlake" || echo "$mlake")
work=$(mktemp -d /tmp/mlake-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"

export MLAKE_USER_NAME="Ada Demo" MLAKE_USER_EMAIL="ada@example.org"
export GIT_AUTHOR_NAME="Ada Demo" GIT_AUTHOR_EMAIL="ada@example.org"
export GIT_COMMITTER_NAME="Ada Demo" GIT_COMMITTER_EMAIL="ada@example.org"

if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold="" plain=""; fi
step() { printf '\n%s$ %s%s\n' "$bold" "$*" "$plain"; "$@"; }

git init -q -b main .
mkdir -p data models src
# A small dataset: daily readings of three sensors (deterministic).
awk 'BEGIN { srand(7); print "day,sensor,temperature,humidity";
  for (d = 1; d <= 200; d++) for (s = 1; s <= 3; s++)
    printf "%d,s%d,%.2f,%.1f\n", d, s, 15 + 10 * rand(), 40 + 30 * rand() }' \
  > data/readings.csv
for i in $(seq 1 20); do
  awk -v i="$i" 'BEGIN { srand(i); for (k = 0; k < 64; k++) printf "%c", 65 + int(26 * rand()) }' \
    > "data/images_$i.bin"
done
mkdir -p data/images && mv data/images_*.bin data/images/
printf 'import sys\nprint("training on", sys.argv[1])\n' > src/train.py
head -c 4096 /dev/urandom > models/model.pt

step "$mlake" init
step "$mlake" add data/readings.csv data/images -m "Sensor readings exported from the plant historian" \
  --owner "data-team@example.org" --description "Daily readings of three sensors" --tag sensors
step "$mlake" add models/model.pt -m "Baseline model" --kind model --security confidential
git add -A && git commit -qm "Data and baseline model"
step "$mlake" status

echo "201,s1,21.00,55.0" >> data/readings.csv
step "$mlake" status
step "$mlake" add data/readings.csv -m "One more day of readings"
git commit -qam "More readings"

step "$mlake" list
step "$mlake" log -n 2
step "$mlake" show data/readings.csv@2
step "$mlake" annotate models/model.pt --owner ml-team@example.org -m "The ML team maintains the baseline"

# Back in time: the first commit's mlake.lock brings its data back.
step git checkout -q HEAD~1
step "$mlake" checkout
step "$mlake" status
step "$mlake" fsck
echo
echo "demo finished: every step above ran in $work (now removed)"
