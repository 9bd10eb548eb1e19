#!/usr/bin/env bash
# Pull time from a local registry, side by side: berth pull vs skopeo copy (to an OCI dir: download
# and verify only, no unpacking) vs podman pull (private --root, overlay: download and unpack).
# The image is the default busybox image plus one gzip layer of ~PULL_BENCH_MB from /usr, pushed by
# skopeo, so all three read the same registry content. Needs root, hyperfine, docker-registry,
# skopeo; podman is skipped when absent. Prints hyperfine's table and each tool's time ratio to berth.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in hyperfine docker-registry skopeo; do
  command -v "$tool" >/dev/null || { echo "pull-bench: $tool is missing (apt-get install $tool)" >&2; exit 1; }
done
[ -f build/src/cli/berth/entry.js ] || npx tsc -p tsconfig.json >/dev/null || true
[ -f build/src/cli/berth/entry.js ] || { echo "pull-bench: build/ missing: compile first (make ts)" >&2; exit 1; }
[ -f dist/images/busybox.tar ] || node scripts/make-default-image.mjs >&2

SIZE_MB=${PULL_BENCH_MB:-60}
RUNS=${PULL_BENCH_RUNS:-5}
WORK=$(mktemp -d /tmp/berth-pull-bench-XXXXXX)
REG_PID=""
cleanup() {
  [ -n "$REG_PID" ] && kill "$REG_PID" 2>/dev/null && wait "$REG_PID" 2>/dev/null || true
  if command -v podman >/dev/null; then podman --root "$WORK/proot" --runroot "$WORK/prun" rmi -a -f >/dev/null 2>&1 || true; fi
  umount -R "$WORK/proot/overlay" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
BERTH="node $PWD/build/src/cli/berth/entry.js"

PORT=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
HOST="127.0.0.1:$PORT"
cat >"$WORK/registry.yml" <<YML
version: 0.1
log: { level: error, accesslog: { disabled: true } }
storage: { filesystem: { rootdirectory: $WORK/registry }, delete: { enabled: true } }
http: { addr: $HOST, secret: bench }
YML
docker-registry serve "$WORK/registry.yml" >"$WORK/registry.log" 2>&1 &
REG_PID=$!
for _ in $(seq 100); do curl -fs "http://$HOST/v2/" >/dev/null 2>&1 && break; sleep 0.05; done

# The bench image: busybox, then a layer of files from /usr (directories first, find order).
set +o pipefail
find /usr -xdev \( -type f -o -type d -o -type l \) -printf '%y %s %P\n' 2>/dev/null |
  awk -v limit=$((SIZE_MB * 1024 * 1024)) '{ t = $1; s = $2; sub(/^[^ ]+ [^ ]+ /, ""); if (t == "f") sum += s; if (sum > limit) exit; print "usr/" $0 }' >"$WORK/list"
set -o pipefail
tar -C / --no-recursion -cf "$WORK/usr.tar" -T "$WORK/list"
$BERTH --root "$WORK/seed" import "$WORK/usr.tar" localhost/bench-usr:1 >/dev/null
$BERTH --root "$WORK/seed" save -o "$WORK/bench.tar" localhost/bench-usr:1
skopeo copy -q --dest-tls-verify=false "docker-archive:$WORK/bench.tar" "docker://$HOST/bench/usr:1"
echo "image: $HOST/bench/usr:1, $(du -m "$WORK/usr.tar" | cut -f1) MB uncompressed, $(wc -l <"$WORK/list") entries" >&2

args=(--style basic --warmup 1 --runs "$RUNS" --export-json "$WORK/pull.json")
args+=(--prepare "rm -rf $WORK/broot" -n berth "$BERTH --root $WORK/broot pull -q $HOST/bench/usr:1")
args+=(--prepare "rm -rf $WORK/sk" -n 'skopeo copy' "skopeo copy -q --src-tls-verify=false docker://$HOST/bench/usr:1 oci:$WORK/sk:x")
if command -v podman >/dev/null; then
  P="podman --root $WORK/proot --runroot $WORK/prun --storage-driver overlay"
  args+=(--prepare "$P rmi -a -f >/dev/null 2>&1 || true" -n 'podman pull' "$P pull -q --tls-verify=false $HOST/bench/usr:1")
else
  echo "pull-bench: podman is not installed: skipped" >&2
fi
hyperfine "${args[@]}"

node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).results;
const berth = r.find((x) => x.command === "berth");
for (const x of r) if (x !== berth) console.log(`berth / ${x.command}: ${(berth.mean / x.mean).toFixed(2)}× (${(berth.mean * 1000).toFixed(0)} ms vs ${(x.mean * 1000).toFixed(0)} ms)`);
' "$WORK/pull.json"
