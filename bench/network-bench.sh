#!/bin/bash
# The time network setup adds to a container start, berth beside podman:
#   1. berth's network API (build/bench/network-bench.js): netns only (--network none), attach+detach
#      on the default bridge, on a user network with DNS, with a published port and a bandwidth limit.
#   2. `berth run --rm --network none` vs the default bridge (bin/berth, the bundle). The bench's
#      default network is made first on bridge berthbench9 and 10.214.250.0/24 (checked against the
#      host's routes), so no berth0 is left on the host.
#   3. `podman run --rm --network none` vs podman's default bridge (netavark), private roots.
# Needs root, hyperfine for 2 and 3. RUNS=N changes the sample size. Containers run `true`: no traffic.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-20}
die() { echo "network-bench: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root"
[ -f "$REPO/build/bench/network-bench.js" ] || die "build first (npx tsc -p tsconfig.json)"

WORK=$(mktemp -d /tmp/berth-net-bench-XXXXXX)
chmod 755 "$WORK"
BROOT="$WORK/berth/root"; BRUN="$WORK/berth/run"
PODMAN="podman --root $WORK/podman/root --runroot $WORK/podman/run --storage-driver overlay --cgroup-manager cgroupfs --events-backend none"
chains() { iptables-save | awk '/^\*/{t=substr($1,2)} /^:/{print t"/"substr($1,2)}' | sort; }
CHAINS_BEFORE=$(chains)
# Chains podman's netavark (or the CNI plugins) created during the bench and leave by design.
remove_new_chains() {
  local new t c
  new=$(comm -13 <(echo "$CHAINS_BEFORE") <(chains) | grep -E '/(NETAVARK|CNI-)' || true)
  [ -n "$new" ] || return 0
  for tc in $new; do
    t=${tc%%/*}; c=${tc#*/}
    iptables-save -t "$t" | grep -E "^-A .* -j $c( |\$)" | grep -v "^-A $c " | sed 's/^-A //' | while read -r rule; do
      eval iptables -w -t "$t" -D $rule || true
    done || true # a chain nothing jumps to makes grep fail, which must not fail the bench (pipefail)
  done
  for tc in $new; do iptables -w -t "${tc%%/*}" -F "${tc#*/}" 2>/dev/null || true; done
  for tc in $new; do iptables -w -t "${tc%%/*}" -X "${tc#*/}" 2>/dev/null || true; done
}
cleanup() {
  if [ -n "${BERTH:-}" ]; then $BERTH ps -aq 2>/dev/null | xargs -r $BERTH rm -f >/dev/null 2>&1 || true; fi
  if [ -n "${BERTH:-}" ]; then
    node --input-type=module -e "
      const { removeNetwork } = await import('$REPO/build/src/network/networks.js');
      await removeNetwork({ root: '$BROOT', runRoot: '$BRUN' }, 'berth', { allowDefault: true }).catch(() => {});" || true
    ip link del berthbench9 2>/dev/null || true
  fi
  $PODMAN rm -af >/dev/null 2>&1 || true
  $PODMAN system reset -f >/dev/null 2>&1 || true
  grep -o " $WORK[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$WORK"
  remove_new_chains
}
trap cleanup EXIT

echo "== 1. berth network API ($RUNS runs each, milliseconds)"
RUNS=$RUNS node "$REPO/build/bench/network-bench.js" | tee "$WORK/api.json"
node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const row = (k, label) => r[k] && console.log(`| ${label} | ${r[k].attach ? r[k].attach.median : "-"} | ${r[k].detach ? r[k].detach.median : "-"} | ${r[k].total.median} | ${r[k].total.p90} |`);
console.log("\n| case | attach | detach | total (median) | total (p90) |\n| --- | --- | --- | --- | --- |");
row("none", "--network none (netns only)"); row("bridge", "default bridge"); row("user", "user network, DNS daemon running");
row("user-1st", "user network, DNS daemon started+stopped"); row("publish", "bridge + -p + bandwidth limit");
' "$WORK/api.json"

command -v hyperfine >/dev/null || { echo "hyperfine missing: skipping the run --rm comparisons"; exit 0; }
FIXTURE="$REPO/test/fixtures/out/busybox-rootfs"
[ -x "$FIXTURE/bin/busybox" ] || bash "$REPO/test/fixtures/make-busybox-rootfs.sh" >&2
tar -C "$FIXTURE" --numeric-owner --owner=0 --group=0 --exclude=./.busybox-stamp -cf "$WORK/busybox.tar" .

echo
echo "== 2. berth run --rm: --network none vs default bridge"
BERTH="$REPO/bin/berth --root $BROOT --run-root $BRUN"
if ip -j route | node -e '
  const rs = JSON.parse(require("fs").readFileSync(0, "utf8"));
  const toInt = (a) => a.split(".").reduce((n, x) => n * 256 + Number(x), 0);
  const lo = toInt("10.214.250.0"), hi = lo + 255;
  process.exit(rs.some((r) => { if (r.dst === "default") return false;
    const [a, p = "32"] = r.dst.split("/"); const s = toInt(a), e = s + 2 ** (32 - Number(p)) - 1;
    return s <= hi && e >= lo; }) ? 0 : 1);'; then
  echo "skipped: 10.214.250.0/24 overlaps a host route"
elif ! node --input-type=module -e "
    const { createNetwork } = await import('$REPO/build/src/network/networks.js');
    await createNetwork({ root: '$BROOT', runRoot: '$BRUN' }, { name: 'berth', bridge: 'berthbench9', subnet: '10.214.250.0/24', dns: false });" 2>"$WORK/berth.err"; then
  echo "skipped: cannot make the bench's default network: $(tail -n1 "$WORK/berth.err")"
elif ! $BERTH run --rm --network none busybox true >/dev/null 2>"$WORK/berth.err"; then
  echo "skipped: berth run does not work here: $(tail -n1 "$WORK/berth.err")"
elif ! $BERTH run --rm busybox ip -o link 2>&1 | grep -q 'eth0'; then
  echo "skipped: no eth0 in a container on the default network: $(tail -n1 "$WORK/berth.err")"
else
  hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$WORK/berth.json" --export-markdown "$WORK/berth.md" \
    -n 'berth none' "$BERTH run --rm --network none busybox true" \
    -n 'berth bridge' "$BERTH run --rm busybox true" \
    -n 'berth bridge -p' "$BERTH run --rm -p 127.0.0.1::80 busybox true" >&2
  cat "$WORK/berth.md"
fi

echo
echo "== 3. podman run --rm: --network none vs default bridge"
PFLAGS="--runtime runc --ulimit nofile=1024:1024 --ulimit nproc=1024:1024"
$PODMAN import --change 'CMD ["sh"]' "$WORK/busybox.tar" localhost/busybox:latest >/dev/null
if ! $PODMAN run --rm $PFLAGS --network none localhost/busybox:latest true >/dev/null 2>"$WORK/podman.err"; then
  echo "skipped: podman cannot run a container here: $(tail -n1 "$WORK/podman.err")"
elif ! $PODMAN run --rm $PFLAGS --network bridge localhost/busybox:latest true >/dev/null 2>"$WORK/podman.err"; then
  echo "podman --network none works, its bridge networking does not here: $(tail -n1 "$WORK/podman.err")"
else
  hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$WORK/podman.json" --export-markdown "$WORK/podman.md" \
    -n 'podman none' "$PODMAN run --rm $PFLAGS --network none localhost/busybox:latest true" \
    -n 'podman bridge' "$PODMAN run --rm $PFLAGS --network bridge localhost/busybox:latest true" >&2
  cat "$WORK/podman.md"
fi

# Side by side: what a network costs each engine (mean of the bridge run minus the none run).
if [ -f "$WORK/berth.json" ] && [ -f "$WORK/podman.json" ]; then
  echo
  echo "== side by side (mean ms)"
  node -e '
  const read = (f) => Object.fromEntries(JSON.parse(require("fs").readFileSync(f, "utf8")).results.map((r) => [r.command, r.mean * 1000]));
  const b = read(process.argv[1]), p = read(process.argv[2]);
  const f = (x) => x.toFixed(0);
  console.log("| engine | --network none | default bridge | added by the network |\n| --- | --- | --- | --- |");
  console.log(`| berth | ${f(b["berth none"])} | ${f(b["berth bridge"])} | +${f(b["berth bridge"] - b["berth none"])} |`);
  console.log(`| podman (runc) | ${f(p["podman none"])} | ${f(p["podman bridge"])} | +${f(p["podman bridge"] - p["podman none"])} |`);
  ' "$WORK/berth.json" "$WORK/podman.json"
fi
