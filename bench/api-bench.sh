#!/bin/bash
# The Docker Engine API side by side: the docker CLI's `docker run --rm IMAGE true` against
# `berth system service` and against `podman system service`, each on its own socket with private
# roots, the same busybox image, and --network none for both (the network's cost is
# bench/network-bench.sh's). Also `docker exec ID true` and `docker ps -a`. Podman runs with
# --runtime runc, --cgroup-manager cgroupfs and --events-backend file, and needs the nofile/nproc
# ulimits set through containers.conf here (a private CONTAINERS_CONF).
# Needs root, hyperfine, podman and the docker CLI. RUNS=N changes the sample size.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-20}
DOCKER=${DOCKER:-/usr/local/bin/docker}
die() { echo "api-bench: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root"
for t in hyperfine podman "$DOCKER"; do command -v "$t" >/dev/null || die "$t is missing"; done

WORK=$(mktemp -d /tmp/berth-api-bench-XXXXXX)
chmod 755 "$WORK"
BROOT="$WORK/berth/root"; BRUN="$WORK/berth/run"; BSOCK="$WORK/berth.sock"
PSOCK="$WORK/podman.sock"
BERTH="$REPO/bin/berth --root $BROOT --run-root $BRUN"

export CONTAINERS_CONF="$WORK/containers.conf"
cat > "$CONTAINERS_CONF" <<EOF
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
PODMAN="podman --root $WORK/podman/root --runroot $WORK/podman/run --storage-driver overlay --runtime runc --cgroup-manager cgroupfs --events-backend file"

BPID=""; PPID_SVC=""
cleanup() {
  DOCKER_HOST=unix://$BSOCK "$DOCKER" ps -aq 2>/dev/null | xargs -r env DOCKER_HOST=unix://$BSOCK "$DOCKER" rm -f >/dev/null 2>&1 || true
  [ -n "$BPID" ] && kill "$BPID" 2>/dev/null || true
  [ -n "$PPID_SVC" ] && kill "$PPID_SVC" 2>/dev/null || true
  sleep 0.5
  $BERTH ps -aq 2>/dev/null | xargs -r $BERTH rm -f >/dev/null 2>&1 || true
  $PODMAN rm -af -t 0 >/dev/null 2>&1 || true
  $PODMAN system reset -f >/dev/null 2>&1 || true
  grep -o " $WORK[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

FIXTURE="$REPO/test/fixtures/out/busybox-rootfs"
[ -x "$FIXTURE/bin/busybox" ] || bash "$REPO/test/fixtures/make-busybox-rootfs.sh" >&2
tar -C "$FIXTURE" --numeric-owner --owner=0 --group=0 --exclude=./.busybox-stamp -cf "$WORK/busybox.tar" .
$PODMAN import --change 'CMD ["sh"]' "$WORK/busybox.tar" localhost/busybox:latest >/dev/null

$BERTH system service --socket "$BSOCK" --timeout 0 2>"$WORK/berth.log" &
BPID=$!
$PODMAN system service --time 0 "unix://$PSOCK" 2>"$WORK/podman.log" &
PPID_SVC=$!
for s in "$BSOCK" "$PSOCK"; do
  for _ in $(seq 100); do DOCKER_HOST=unix://$s "$DOCKER" version >/dev/null 2>&1 && break; sleep 0.1; done
  DOCKER_HOST=unix://$s "$DOCKER" version >/dev/null 2>&1 || die "no API on $s"
done

IMG=localhost/busybox:latest
DB="env DOCKER_HOST=unix://$BSOCK DOCKER_CONFIG=$WORK/dc $DOCKER"
DP="env DOCKER_HOST=unix://$PSOCK DOCKER_CONFIG=$WORK/dc $DOCKER"
$DB run --rm --network none $IMG true   # loads berth's default image
$DP run --rm --network none $IMG true

echo "== docker run --rm --network none $IMG true ($RUNS runs each)" >&2
hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$WORK/run.json" \
  -n berth "$DB run --rm --network none $IMG true" \
  -n podman "$DP run --rm --network none $IMG true" >&2

bid=$($DB run -d --network none $IMG sleep 600)
pid=$($DP run -d --network none $IMG sleep 600)
echo "== docker exec ID true" >&2
hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$WORK/exec.json" \
  -n berth "$DB exec $bid true" -n podman "$DP exec $pid true" >&2
echo "== docker ps -a" >&2
hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$WORK/ps.json" \
  -n berth "$DB ps -a" -n podman "$DP ps -a" >&2
$DB rm -f "$bid" >/dev/null; $DP rm -f "$pid" >/dev/null

node - "$WORK/run.json" "$WORK/exec.json" "$WORK/ps.json" <<'JS'
const fs = require('fs');
const [run, ex, ps] = process.argv.slice(2).map((f) => JSON.parse(fs.readFileSync(f, 'utf8')).results);
const ms = (r) => (r.mean * 1000).toFixed(1) + ' ± ' + (r.stddev * 1000).toFixed(1) + ' ms';
const ratio = (a, b) => (a / b).toFixed(2) + 'x';
const row = (...c) => '| ' + c.join(' | ') + ' |';
console.log(row('docker CLI command', 'berth system service', 'podman system service (runc)', 'berth / podman'));
console.log(row('---', '---', '---', '---'));
console.log(row('run --rm --network none busybox true', ms(run[0]), ms(run[1]), ratio(run[0].mean, run[1].mean)));
console.log(row('exec ID true', ms(ex[0]), ms(ex[1]), ratio(ex[0].mean, ex[1].mean)));
console.log(row('ps -a', ms(ps[0]), ms(ps[1]), ratio(ps[0].mean, ps[1].mean)));
JS
