#!/usr/bin/env bash
# Unpack throughput: berth's applyLayer against GNU tar -x on the same ~100 MB layer built from /usr,
# plain and gzip. Needs hyperfine and a compiled tree (make ts). Prints the time ratio berth/tar.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { echo "hyperfine is not installed (apt-get install hyperfine)" >&2; exit 1; }
[ -f build/bench/unpack-run.js ] || npx tsc -p tsconfig.json >/dev/null || true
[ -f build/bench/unpack-run.js ] || { echo "build/bench/unpack-run.js missing: compile first" >&2; exit 1; }

SIZE_MB=${UNPACK_BENCH_MB:-100}
RUNS=${UNPACK_BENCH_RUNS:-5}
# UNPACK_BENCH_DIR=/dev/shm measures CPU cost alone; the default measures the disk too.
WORK=$(mktemp -d "${UNPACK_BENCH_DIR:-/tmp}/berth-unpack-bench-XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# Files from /usr in find order (directories before their content) until SIZE_MB of regular data.
# awk stops early, so find dies of SIGPIPE: not an error here.
set +o pipefail
find /usr -xdev \( -type f -o -type d -o -type l \) -printf '%y %s %P\n' 2>/dev/null |
  awk -v limit=$((SIZE_MB * 1024 * 1024)) '{ t = $1; s = $2; sub(/^[^ ]+ [^ ]+ /, ""); if (t == "f") sum += s; if (sum > limit) exit; print "usr/" $0 }' >"$WORK/list"
set -o pipefail
tar -C / --no-recursion -cf "$WORK/layer.tar" -T "$WORK/list"
gzip -1 -c "$WORK/layer.tar" >"$WORK/layer.tar.gz"
echo "layer: $(wc -l <"$WORK/list") entries, $(du -m "$WORK/layer.tar" | cut -f1) MB tar, $(du -m "$WORK/layer.tar.gz" | cut -f1) MB gzip"

OUT="$WORK/out"
PREP="rm -rf $OUT && mkdir $OUT"
hyperfine --style basic --warmup 1 --runs "$RUNS" --prepare "$PREP" --export-json "$WORK/plain.json" \
  -n 'tar -x (plain)' "tar -C $OUT -xf $WORK/layer.tar" \
  -n 'berth applyLayer (plain)' "node build/bench/unpack-run.js $WORK/layer.tar $OUT"
hyperfine --style basic --warmup 1 --runs "$RUNS" --prepare "$PREP" --export-json "$WORK/gzip.json" \
  -n 'tar -xz (gzip)' "tar -C $OUT -xzf $WORK/layer.tar.gz" \
  -n 'berth applyLayer (gzip)' "node build/bench/unpack-run.js $WORK/layer.tar.gz $OUT"

node -e '
const fs = require("fs");
const mb = fs.statSync(process.argv[1]).size / 1048576;
for (const f of process.argv.slice(2)) {
  const [tar, berth] = JSON.parse(fs.readFileSync(f, "utf8")).results;
  console.log(`${berth.command}: ${(mb / berth.mean).toFixed(0)} MB/s vs ${tar.command}: ${(mb / tar.mean).toFixed(0)} MB/s; berth/tar time ratio ${(berth.mean / tar.mean).toFixed(2)}`);
}' "$WORK/layer.tar" "$WORK/plain.json" "$WORK/gzip.json"
