#!/bin/bash
# berth's engine against podman, side by side in one run, with the same busybox image in each:
#   1. `run --rm IMAGE true` (hyperfine): berth vs podman --runtime runc (private root, --network none for both;
#      the cost of a network is bench/network-bench.sh's)
#   2. 100 detached `sleep` containers: time to start them all, monitor RSS per container, time to rm
#   3. `exec ID true` latency
# Prints ratios and a markdown table. Needs root, hyperfine and podman. RUNS=N changes the sample size.
# WITH_DOCKER=1 adds `docker run --rm` against a dockerd that the bench starts itself from Debian's
# docker.io (installed with apt-get if missing): private data and exec roots and socket, no bridge,
# no iptables rules, stopped by pid at the end.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-20}
N=${N:-100}
die() { echo "engine-bench: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root"
for t in hyperfine podman; do command -v $t >/dev/null || die "$t is missing (apt-get install $t)"; done

WORK=$(mktemp -d /tmp/berth-engine-bench-XXXXXX)
chmod 755 "$WORK"
BROOT="$WORK/berth/root"; BRUN="$WORK/berth/run"
# The executable users run (a wrapper that starts node from a startup snapshot when there is one).
BERTH="$REPO/bin/berth --root $BROOT --run-root $BRUN"
PODMAN="podman --root $WORK/podman/root --runroot $WORK/podman/run --storage-driver overlay --cgroup-manager cgroupfs --events-backend none"
PFLAGS="--runtime runc --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024"

DOCKER="docker -H unix://$WORK/docker.sock"
# dockerd leaves its (empty) /docker parent cgroups behind, as berth leaves /berth: removed at the
# end when this bench made them.
CGROUP_PARENTS_BEFORE=$(ls -d /sys/fs/cgroup/*/docker /sys/fs/cgroup/*/berth 2>/dev/null || true)
cleanup() {
  if [ -f "$WORK/docker.pid" ]; then
    $DOCKER ps -aq 2>/dev/null | xargs -r $DOCKER rm -f >/dev/null 2>&1 || true
    dpid=$(cat "$WORK/docker.pid"); kill "$dpid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$dpid" 2>/dev/null || break; sleep 0.1; done
  fi
  $BERTH ps -aq 2>/dev/null | xargs -r $BERTH rm -f >/dev/null 2>&1 || true
  $PODMAN rm -af >/dev/null 2>&1 || true
  $PODMAN system reset -f >/dev/null 2>&1 || true
  grep -o " $WORK[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$WORK"
  for d in /sys/fs/cgroup/*/docker /sys/fs/cgroup/*/berth; do
    [ -d "$d" ] && ! grep -qxF "$d" <<<"$CGROUP_PARENTS_BEFORE" && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  return 0
}
trap cleanup EXIT

FIXTURE="$REPO/test/fixtures/out/busybox-rootfs"
[ -x "$FIXTURE/bin/busybox" ] || bash "$REPO/test/fixtures/make-busybox-rootfs.sh" >&2
tar -C "$FIXTURE" --numeric-owner --owner=0 --group=0 --exclude=./.busybox-stamp -cf "$WORK/busybox.tar" .
$PODMAN import --change 'CMD ["sh"]' "$WORK/busybox.tar" localhost/busybox:latest >/dev/null
$BERTH run --rm --network none busybox true   # loads berth's default image

DOCKER_CMD=()
if [ "${WITH_DOCKER:-}" = 1 ]; then
  command -v dockerd >/dev/null || apt-get install -y docker.io >&2
  mkdir -p "$WORK/docker"
  dockerd --data-root "$WORK/docker/root" --exec-root "$WORK/docker/exec" --pidfile "$WORK/docker.pid" \
    -H "unix://$WORK/docker.sock" --bridge none --iptables=false --ip6tables=false --ip-masq=false \
    --exec-opt native.cgroupdriver=cgroupfs --default-ulimit nofile=1024:1024 >"$WORK/dockerd.log" 2>&1 &
  for _ in $(seq 300); do $DOCKER version >/dev/null 2>&1 && break; sleep 0.1; done
  $DOCKER version >/dev/null 2>&1 || die "dockerd did not start: $(tail -n3 "$WORK/dockerd.log")"
  $DOCKER import --change 'CMD ["sh"]' "$WORK/busybox.tar" localhost/busybox:latest >/dev/null
  DOCKER_CMD=(-n docker "$DOCKER run --rm --network none localhost/busybox:latest true")
fi

echo "== run --rm IMAGE true ($RUNS runs each)" >&2
hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$WORK/run.json" \
  -n berth "$BERTH run --rm --network none busybox true" \
  -n podman "$PODMAN run --rm $PFLAGS localhost/busybox:latest true" "${DOCKER_CMD[@]}" >&2

rss_kib() { local t=0 p; for p in "$@"; do t=$((t + $(awk '/VmRSS/{print $2}' /proc/$p/status 2>/dev/null || echo 0))); done; echo $t; }

echo "== $N detached sleep containers" >&2
t0=$(date +%s.%N)
for i in $(seq "$N"); do $BERTH run -d --network none busybox sleep 600 >/dev/null; done
t1=$(date +%s.%N)
mon_pids=$(pgrep -f "berth-monitor --id .* --runtime-arg $BRUN/runtime" || true)
berth_rss=$(rss_kib $mon_pids)
berth_mons=$(echo $mon_pids | wc -w)
t2=$(date +%s.%N)
$BERTH rm -f $($BERTH ps -aq) >/dev/null
t3=$(date +%s.%N)

t4=$(date +%s.%N)
for i in $(seq "$N"); do $PODMAN run -d $PFLAGS localhost/busybox:latest sleep 600 >/dev/null; done
t5=$(date +%s.%N)
conmon_pids=$(pgrep -f "conmon .*$WORK/podman" || true)
podman_rss=$(rss_kib $conmon_pids)
podman_mons=$(echo $conmon_pids | wc -w)
t6=$(date +%s.%N)
$PODMAN rm -f -t 0 -a >/dev/null
t7=$(date +%s.%N)

echo "== exec latency" >&2
bid=$($BERTH run -d --network none busybox sleep 600)
pid=$($PODMAN run -d $PFLAGS localhost/busybox:latest sleep 600)
hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$WORK/exec.json" \
  -n berth "$BERTH exec $bid true" -n podman "$PODMAN exec $pid true" >&2
$BERTH rm -f "$bid" >/dev/null; $PODMAN rm -f -t 0 "$pid" >/dev/null

node - "$WORK/run.json" "$WORK/exec.json" <<JS
const fs = require('fs');
const [run, ex] = process.argv.slice(2).map((f) => JSON.parse(fs.readFileSync(f, 'utf8')).results);
const ms = (r) => (r.mean * 1000).toFixed(1) + ' ± ' + (r.stddev * 1000).toFixed(1) + ' ms';
const ratio = (a, b) => (a / b).toFixed(2) + 'x';
const row = (...c) => '| ' + c.join(' | ') + ' |';
const b = { start: ($t1 - $t0), rm: ($t3 - $t2), rss: $berth_rss / Math.max(1, $berth_mons), mons: $berth_mons };
const p = { start: ($t5 - $t4), rm: ($t7 - $t6), rss: $podman_rss / Math.max(1, $podman_mons), mons: $podman_mons };
console.log(row('measure', 'berth', 'podman (runc)', 'berth / podman'));
console.log(row('---', '---', '---', '---'));
console.log(row('run --rm busybox true', ms(run[0]), ms(run[1]), ratio(run[0].mean, run[1].mean)));
console.log(row('start $N detached sleep', b.start.toFixed(2) + ' s', p.start.toFixed(2) + ' s', ratio(b.start, p.start)));
console.log(row('monitor RSS per container', (b.rss / 1024).toFixed(2) + ' MiB (' + b.mons + ' monitors)', (p.rss / 1024).toFixed(2) + ' MiB (' + p.mons + ' conmon)', ratio(b.rss, p.rss)));
console.log(row('rm -f $N containers', b.rm.toFixed(2) + ' s', p.rm.toFixed(2) + ' s', ratio(b.rm, p.rm)));
console.log(row('exec ID true', ms(ex[0]), ms(ex[1]), ratio(ex[0].mean, ex[1].mean)));
if (run[2]) console.log('\ndocker (dockerd from docker.io, runc): run --rm busybox true ' + ms(run[2]) + '; berth / docker ' + ratio(run[0].mean, run[2].mean));
JS
