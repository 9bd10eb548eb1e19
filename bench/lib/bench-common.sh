# Shared set-up for the runtime benchmarks: a work dir, a read-only overlay of the busybox fixture,
# one bundle and state root per runtime, and a teardown that leaves nothing behind. Sourced.

bench_die() { echo "bench: $*" >&2; exit 1; }
bench_log() { echo "bench: $*" >&2; }

bench_require() {
  local tool
  for tool in "$@"; do command -v "$tool" >/dev/null || bench_die "$tool is missing (apt-get install ${tool##*/})"; done
}

# The command line of a runtime, or nothing if its binary is absent.
bench_runtime_cmd() {
  case "$1" in
    runc) [ -x /usr/sbin/runc ] && echo /usr/sbin/runc ;;
    crun) command -v crun || true ;;
    berth-runtime) [ -f "$BENCH_REPO/bin/berth-runtime" ] && echo "$BENCH_REPO/bin/berth-runtime" ;;
  esac
}

bench_setup() {
  BENCH_WORK=$(mktemp -d /tmp/berth-bench-XXXXXX)
  BENCH_CGROUP="/berth-bench-$$"
  chmod 755 "$BENCH_WORK"
  mkdir -p "$BENCH_WORK"/{rootfs,upper,work,results}
  local fixture="$BENCH_REPO/test/fixtures/out/busybox-rootfs"
  [ -x "$fixture/bin/busybox" ] || bash "$BENCH_REPO/test/fixtures/make-busybox-rootfs.sh" >&2
  mount -t overlay overlay -o "lowerdir=$fixture,upperdir=$BENCH_WORK/upper,workdir=$BENCH_WORK/work" "$BENCH_WORK/rootfs" \
    || cp -a "$fixture/." "$BENCH_WORK/rootfs/"
}

# bench_bundle RUNTIME NAME ARG... → prints the bundle dir. One per runtime, since each runtime
# gets its own cgroup path; the rootfs is the one shared read-only overlay.
bench_bundle() {
  local rt=$1 name=$2; shift 2
  local b="$BENCH_WORK/bundle-$rt-$name"
  mkdir -p "$b" "$BENCH_WORK/root-$rt"
  node "$BENCH_REPO/bench/lib/write-spec.mjs" "$b/config.json" "$BENCH_WORK/rootfs" "$BENCH_CGROUP/$rt" "$@"
  echo "$b"
}

bench_teardown() {
  [ -n "${BENCH_WORK:-}" ] && [ -d "$BENCH_WORK" ] || return 0
  local root rt cmd id
  for root in "$BENCH_WORK"/root-*; do
    [ -d "$root" ] || continue
    rt=${root##*/root-}
    cmd=$(bench_runtime_cmd "$rt")
    [ -n "$cmd" ] || continue
    for id in $($cmd --root "$root" list -q 2>/dev/null); do $cmd --root "$root" delete --force "$id" >/dev/null 2>&1 || true; done
  done
  if mountpoint -q "$BENCH_WORK/rootfs"; then umount "$BENCH_WORK/rootfs"; fi
  rm -rf "$BENCH_WORK"
  local h
  for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
    [ -d "$h$BENCH_CGROUP" ] && find "$h$BENCH_CGROUP" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  return 0
}
