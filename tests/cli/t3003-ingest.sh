#!/bin/bash
# mlake ingest brings a file, a folder or an http:// URL into the lake, by
# copy or by reference, and records where it came from; a source it cannot
# read is an error that leaves the lake and the workspace as they were.
. ./lib.sh

src=$TEST_ROOT/src
mkdir -p "$src/images/sub"
cp "$TESTDATA/iris.csv" "$src/iris.csv"
touch -d "2024-03-05 06:07:08 UTC" "$src/iris.csv"
printf 'first\n' >"$src/images/a.txt"
random_file "$src/images/sub/b.bin" 3000 images-b
printf '#!/bin/sh\necho hi\n' >"$src/images/run.sh"
chmod +x "$src/images/run.sh"
iris_hash=$(sha256_of "$src/iris.csv")

new_lake

# --- a local file --------------------------------------------------------------------
check "ingest a file: copied into the workspace and recorded with its source"
expect_success mlake --json ingest "$src/iris.csv" --as data/raw.csv --target species \
  --owner "data-team@example.org" --description "Iris, 30 rows" --tag raw \
  --security public -m "the iris export"
expect_json 'd["artifact"]' data/raw.csv
expect_json 'd["path"]' data/raw.csv
expect_json 'd["version"]' 1
expect_json 'd["hash"]' "$iris_hash"
expect_json 'd["size"]' 818
expect_json 'd["mode"]' copy
expect_json 'd["source"]["type"]' file
expect_json 'd["source"]["location"]' "$src/iris.csv"
expect_json 'd["source"]["name"]' iris.csv
expect_json 'd["source"]["modified"][:19]' 2024-03-05T06:07:08
expect_json 'd["source"]["owner"]' data-team@example.org
expect_json 'd["source"]["description"]' "Iris, 30 rows"
raw_node=$(json_value 'd["node"]')
expect_same_file "$src/iris.csv" data/raw.csv
expect_file "$(object_path "$iris_hash")"
expect_eq "$(lock_value data/raw.csv hash)" "$iris_hash" "hash in mlake.lock"
expect_eq "$(lock_value data/raw.csv node)" "$raw_node" "node in mlake.lock"
expect_success mlake status --exit-code

check "show: the ingest node has no inputs, and the artifact its metadata"
expect_success mlake --json show "$raw_node"
expect_json 'd["kind"]' ingest
expect_json 'd["message"]' "the iris export"
expect_json 'd["inputs"]' '[]'
expect_json 'd["parents"]' '[]'
expect_json 'd["record"]["mode"]' copy
expect_json 'd["record"]["source"]["location"]' "$src/iris.csv"
expect_json 'bool(d["record"]["env"]["host"])' true
expect_success mlake --json show data/raw.csv
expect_json '[d[k] for k in ("kind", "owner", "description", "security", "tags")]' \
  '["dataset","data-team@example.org","Iris, 30 rows","public",["raw"]]'
expect_json 'sorted(c["field"] for c in d["metadata_history"])' \
  '["description","kind","owner","security","source","source_type","tag"]'
expect_json '[c["value"] for c in d["metadata_history"] if c["field"] == "source_type"]' '["file"]'
expect_success mlake --json show data/raw.csv@1
expect_json 'd["how"]["kind"]' ingest
expect_json 'd["how"]["source"]["type"]' file
expect_json 'd["what"]["metafeatures"]["rows"]' 30
expect_json '[(c["value"], c["count"]) for c in d["what"]["metafeatures"]["target"]["classes"]]' \
  '[["setosa",10],["versicolor",10],["virginica",10]]'

check "the text output names the source, the version and the node"
cp "$src/iris.csv" "$TEST_ROOT/iris-copy.csv"
echo "7.0,3.2,4.7,1.4,versicolor" >>"$TEST_ROOT/iris-copy.csv"
expect_success mlake ingest "$TEST_ROOT/iris-copy.csv" --as data/raw.csv -m "a new export"
expect_stdout_contains "ingested $TEST_ROOT/iris-copy.csv as data/raw.csv@2 (845 B)"
grep -qE '^recorded node [0-9a-f]{10}$' "$OUT" || fail "no 'recorded node' line"
expect_same_file "$TEST_ROOT/iris-copy.csv" data/raw.csv

check "the same content again records nothing"
snapshot_lake "$TEST_ROOT/snap"
expect_success mlake --json ingest "$TEST_ROOT/iris-copy.csv" --as data/raw.csv -m "again"
expect_json 'd["node"]' null
expect_json 'd["version"]' 2
expect_success mlake ingest "$TEST_ROOT/iris-copy.csv" --as data/raw.csv -m "again"
expect_stdout "unchanged data/raw.csv@2: nothing new to record"
expect_lake_unchanged "$TEST_ROOT/snap"

check "a destination holding changes not in the lake is refused and kept"
echo "local edit" >>data/raw.csv
cp data/raw.csv "$TEST_ROOT/edited.csv"
expect_failure 2 mlake ingest "$src/iris.csv" --as data/raw.csv -m "overwrite"
expect_one_error_line
expect_stderr_contains "'data/raw.csv' already exists and holds changes not in the lake"
expect_same_file "$TEST_ROOT/edited.csv" data/raw.csv
expect_lake_unchanged "$TEST_ROOT/snap"
expect_success mlake checkout --force data/raw.csv

check "without --as, the file goes into the working folder under its own name"
mkdir -p incoming
cd incoming
expect_success mlake --json ingest "$src/iris.csv" -m "default name"
expect_json 'd["artifact"]' incoming/iris.csv
cd ..
expect_same_file "$src/iris.csv" incoming/iris.csv

# --- a folder ------------------------------------------------------------------------------
check "ingest a folder: copied whole, exec bits too"
expect_success mlake --json ingest "$src/images" --as data/images -m "the images"
expect_json 'd["source"]["type"]' dir
expect_json 'd["version"]' 1
images_hash=$(json_value 'd["hash"]')
expect_same_tree "$src/images" data/images
[ -x data/images/run.sh ] || fail "data/images/run.sh lost its exec bit"
expect_eq "$(lock_value data/images type)" dir "type in mlake.lock"
expect_eq "$(lock_value data/images files)" 3 "files in mlake.lock"
expect_success mlake --json show data/images@1
expect_json 'd["what"]["type"]' dir
expect_json 'd["how"]["source"]["location"]' "$src/images"

# --- by reference ----------------------------------------------------------------------------
check "--mode reference records the hash and where it is, and copies nothing"
objects_before=$(find .mlake/objects -type f | wc -l)
cp mlake.lock "$TEST_ROOT/lock-before"
expect_success mlake --json ingest "$src/iris.csv" --mode reference --as archive/iris.csv -m "kept on the share"
expect_json 'd["mode"]' reference
expect_json 'd["version"]' 0
expect_json 'd["hash"]' "$iris_hash"
expect_json 'd["size"]' 818
expect_json 'd["source"]["size"]' 818
expect_no_file archive
expect_same_file "$TEST_ROOT/lock-before" mlake.lock
expect_success mlake ingest "$src/images" --mode reference --as archive/images -m "images kept on the share"
expect_stdout_contains "ingested $src/images as archive/images (3.0 KiB, by reference)"
expect_no_file archive
expect_same_file "$TEST_ROOT/lock-before" mlake.lock
expect_eq "$(find .mlake/objects -type f | wc -l)" "$objects_before" "number of objects"

check "a folder by reference has the hash it would have if copied"
expect_success mlake --json show archive/images@1
expect_json 'd["hash"]' "$images_hash"
expect_json 'd["how"]["mode"]' reference
expect_json 'd["how"]["source"]["type"]' dir

check "the node of a reference ingest says its output is not stored"
random_file "$src/only-here.bin" 5000 only-here
expect_success mlake --json ingest "$src/only-here.bin" --mode reference --as archive/only-here.bin -m "big file"
ref_node=$(json_value 'd["node"]')
expect_success mlake --json show "$ref_node"
expect_json '[(o["artifact"], o["stored"]) for o in d["record"]["outputs"]]' '[["archive/only-here.bin",false]]'
expect_success mlake --json show archive/only-here.bin@1
expect_json 'd["what"]["stored"]' false
expect_json 'd["hash"]' "$(sha256_of "$src/only-here.bin")"
expect_no_file "$(object_path "$(sha256_of "$src/only-here.bin")")"

check "a version ingested by reference cannot be checked out"
expect_failure 3 mlake checkout archive/iris.csv@1
expect_one_error_line
expect_stderr_contains "ingested by reference"
expect_no_file archive
expect_success mlake fsck
expect_stdout_contains "no faults"

# --- http ------------------------------------------------------------------------------------------
port=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$PYTHON" -m http.server --bind 127.0.0.1 --directory "$src" "$port" >"$TEST_ROOT/http.log" 2>&1 &
BACKGROUND_PIDS="$BACKGROUND_PIDS $!"
"$PYTHON" - "$port" <<'EOF' || fail "the HTTP server did not start"
import socket, sys, time
for _ in range(100):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
EOF
base=http://127.0.0.1:$port

check "ingest a URL: downloaded, with its URL, Last-Modified and Content-Type"
expect_success mlake --json ingest "$base/iris.csv" --as data/web.csv --target species -m "from the web"
expect_json 'd["source"]["type"]' url
expect_json 'd["source"]["location"]' "$base/iris.csv"
expect_json 'd["source"]["name"]' iris.csv
expect_json 'd["source"]["modified"][:19]' 2024-03-05T06:07:08
expect_json 'd["source"]["content_type"]' text/csv
expect_json 'd["source"]["size"]' 818
expect_json 'd["hash"]' "$iris_hash"
expect_json 'd["version"]' 1
web_node=$(json_value 'd["node"]')
expect_same_file "$src/iris.csv" data/web.csv
expect_success mlake --json show data/web.csv@1
expect_json 'd["how"]["source"]["location"]' "$base/iris.csv"
expect_json 'd["node"]' "$web_node"
expect_json 'd["what"]["metafeatures"]["target"]["column"]' species
expect_success mlake show data/web.csv@1
expect_stdout_contains "source $base/iris.csv"

check "without --as, a URL's file name is the last part of its path, without the query"
mkdir -p dl
cd dl
expect_success mlake --json ingest "$base/iris.csv?release=2" -m "with a query"
expect_json 'd["artifact"]' dl/iris.csv
cd ..
expect_same_file "$src/iris.csv" dl/iris.csv

check "a URL by reference is downloaded only to hash it"
expect_success mlake --json ingest "$base/images/sub/b.bin" --mode reference --as archive/b.bin -m "remote blob"
expect_json 'd["hash"]' "$(sha256_of "$src/images/sub/b.bin")"
expect_json 'd["source"]["type"]' url
expect_no_file archive

check "a redirect is followed: the location is the final URL"
expect_success mlake --json ingest "$base/images" --as listing.html -m "a folder listing"
expect_json 'd["source"]["location"]' "$base/images/"
grep -q "a.txt" listing.html || fail "listing.html is not the listing of images/"

check "a URL without a path goes to 'download'"
expect_success mlake --json ingest "$base/" -m "the root"
expect_json 'd["path"]' download

check "a user name and password in the URL are not recorded"
expect_success mlake --json ingest "http://bob:pw-4242xyz@127.0.0.1:$port/iris.csv" --as data/auth.csv -m "with a password"
expect_json 'd["source"]["location"]' "$base/iris.csv"
expect_stdout_not_contains "pw-4242xyz"
if grep -rqF "pw-4242xyz" .mlake mlake.lock; then
  fail "the password is stored: $(grep -rlF "pw-4242xyz" .mlake mlake.lock)"
fi

snapshot_lake "$TEST_ROOT/snap"
snapshot_workspace "$TEST_ROOT/ws"
check "a 404 exits 12, names the URL, and leaves everything as it was"
expect_failure 12 mlake ingest "$base/no-such.csv" --as data/missing.csv -m "missing"
expect_one_error_line
expect_stderr_contains "cannot download '$base/no-such.csv'"
expect_stderr_contains "404"
expect_no_file data/missing.csv
expect_lake_unchanged "$TEST_ROOT/snap"
expect_workspace_unchanged "$TEST_ROOT/ws"

check "an unreachable server exits 12; a tracked destination is left as it was"
cp data/web.csv "$TEST_ROOT/web-before.csv"
expect_failure 12 mlake ingest http://127.0.0.1:1/iris.csv --as data/web.csv -m "unreachable"
expect_one_error_line
expect_stderr_contains "cannot download 'http://127.0.0.1:1/iris.csv'"
expect_same_file "$TEST_ROOT/web-before.csv" data/web.csv
expect_lake_unchanged "$TEST_ROOT/snap"
expect_failure 12 mlake ingest http://127.0.0.1:1/x --mode reference -m "unreachable"
expect_one_error_line
expect_lake_unchanged "$TEST_ROOT/snap"
expect_workspace_unchanged "$TEST_ROOT/ws"

check "credentials in a URL are not recorded"
expect_failure 12 mlake ingest "http://bob:pw-4242xyz@127.0.0.1:1/x" -m "with a password"
expect_stderr_not_contains "pw-4242xyz"
expect_lake_unchanged "$TEST_ROOT/snap"

check "a --target column a download does not have exits 2, before anything is written"
expect_failure 2 mlake ingest "$base/iris.csv" --as data/colour.csv --target colour -m "x"
expect_one_error_line
expect_stderr_contains "no column 'colour' in '$base/iris.csv'"
expect_stderr_contains "'species'"
expect_no_file data/colour.csv
expect_lake_unchanged "$TEST_ROOT/snap"
expect_workspace_unchanged "$TEST_ROOT/ws"

# --- bad input ---------------------------------------------------------------------------------
# refused CODE CMD...: exits with CODE, one error line, nothing changed.
refused() {
  expect_failure "$@"
  expect_one_error_line
  expect_lake_unchanged "$TEST_ROOT/snap"
  expect_workspace_unchanged "$TEST_ROOT/ws"
}
check "a source that does not exist exits 3"
refused 3 mlake ingest "$src/no-such.csv" -m "x"
expect_stderr_contains "no-such.csv"
check "a scheme other than http(s) exits 2"
refused 2 mlake ingest "ftp://127.0.0.1/iris.csv" -m "x"
refused 2 mlake ingest "file:///etc/hostname" -m "x"
check "--source-type that does not match exits 2"
refused 2 mlake ingest "$src/iris.csv" --source-type dir --as data/x.csv -m "x"
refused 2 mlake ingest "$src/images" --source-type file --as data/x -m "x"
refused 2 mlake ingest "$src/iris.csv" --source-type url --as data/x.csv -m "x"
check "a destination outside the project or inside .mlake exits 2"
refused 2 mlake ingest "$src/iris.csv" --as ../outside.csv -m "x"
refused 2 mlake ingest "$src/iris.csv" --as .mlake/iris.csv -m "x"
check "a FIFO exits 2"
mkfifo "$src/pipe"
refused 2 mlake ingest "$src/pipe" --as data/pipe -m "x"
check "bad options exit 2"
refused 2 mlake ingest "$src/iris.csv" --as data/x.csv --security top-secret -m "x"
refused 2 mlake ingest "$src/iris.csv" --as data/x.csv --mode move -m "x"
refused 2 mlake ingest "$src/iris.csv" --as data/x.csv --tag "two words" -m "x"
refused 2 mlake ingest "$src/iris.csv" --as data/x.csv
refused 2 mlake ingest "$src/iris.csv" --as data/x.csv -m " "

check "a --target column the file does not have exits 2"
printf 'size,weight\n1,2\n' >"$TEST_ROOT/two-columns.csv"
expect_failure 2 mlake ingest "$TEST_ROOT/two-columns.csv" --as data/x.csv --target colour -m "x"
expect_one_error_line
expect_stderr_contains "'colour'"
# The message names the source, and the column is checked before the copy:
# nothing is left in the workspace or the lake.
expect_stderr_contains "no column 'colour' in '$TEST_ROOT/two-columns.csv'"
expect_stderr_contains "its columns are 'size', 'weight'"
expect_stderr_not_contains ".mlake/objects"
expect_lake_unchanged "$TEST_ROOT/snap"
expect_workspace_unchanged "$TEST_ROOT/ws"

check "the lake is sound"
expect_success mlake fsck
expect_success mlake status --exit-code

expect_hints_name_real_commands
pass
