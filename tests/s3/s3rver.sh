#!/usr/bin/env bash
# Start or stop the S3-compatible server (s3rver, from npm) that mlake's
# tests run against: on 127.0.0.1 only, at a port the kernel picks, with
# one bucket, "mlake-test". ctest runs `start` before the tests that need
# it and `stop` after them (a test fixture).
#
#   tests/s3/s3rver.sh start STATE_FILE   # writes endpoint and pid to it
#   tests/s3/s3rver.sh stop STATE_FILE
#
# The tests read MLAKE_TEST_S3_ENDPOINT from STATE_FILE; s3rver's access
# key and secret are both "S3RVER". Two ctest runs in one build folder
# share the server: each start counts a user, each stop ends one, and the
# last stop ends the server.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
action=${1:?start or stop}
state=${2:?state file}

exec 9> "$state.lock"
flock 9

users() { cat "$state.users" 2>/dev/null || echo 0; }

stop() {
  if [ -f "$state" ]; then
    # shellcheck disable=SC1090
    . "$state"
    if [ -n "${S3RVER_PID:-}" ]; then
      kill "$S3RVER_PID" 2>/dev/null || true
      for _ in $(seq 50); do
        kill -0 "$S3RVER_PID" 2>/dev/null || break
        sleep 0.1
      done
      kill -9 "$S3RVER_PID" 2>/dev/null || true
    fi
    [ -n "${S3RVER_DIR:-}" ] && rm -rf "$S3RVER_DIR"
    rm -f "$state" "$state.users"
  fi
}

running() {
  [ -f "$state" ] && (
    # shellcheck disable=SC1090
    . "$state"
    kill -0 "${S3RVER_PID:-0}" 2>/dev/null
  )
}

case $action in
start)
  if running; then
    echo $(($(users) + 1)) > "$state.users"
    echo "s3rver already running: $(sed -n 's/^MLAKE_TEST_S3_ENDPOINT=//p' "$state")"
    exit 0
  fi
  stop
  bin=$here/node_modules/.bin/s3rver
  if [ ! -x "$bin" ]; then
    echo "s3rver is not installed: run 'npm ci --prefix tests/s3' (scripts/install-deps.sh does)" >&2
    exit 1
  fi
  dir=$(mktemp -d "${TMPDIR:-/tmp}/mlake-s3rver.XXXXXX")
  # s3rver's continuation tokens use DES, which OpenSSL 3 keeps in its
  # legacy provider.
  NODE_OPTIONS=--openssl-legacy-provider setsid "$bin" -d "$dir/data" \
    -a 127.0.0.1 -p 0 --configure-bucket mlake-test > "$dir/log" 2>&1 9>&- &
  pid=$!
  port=
  for _ in $(seq 100); do
    port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/log" | head -1)
    [ -n "$port" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$port" ]; then
    echo "s3rver did not start:" >&2
    cat "$dir/log" >&2
    kill "$pid" 2>/dev/null || true
    rm -rf "$dir"
    exit 1
  fi
  {
    echo "MLAKE_TEST_S3_ENDPOINT=http://127.0.0.1:$port"
    echo "S3RVER_PID=$pid"
    echo "S3RVER_DIR=$dir"
  } > "$state"
  echo 1 > "$state.users"
  echo "s3rver on 127.0.0.1:$port (pid $pid)"
  ;;
stop)
  left=$(($(users) - 1))
  if [ "$left" -gt 0 ] && running; then
    echo "$left" > "$state.users"
  else
    stop
  fi
  ;;
*)
  echo "usage: $0 start|stop STATE_FILE" >&2
  exit 2
  ;;
esac
