#!/bin/bash
# Side-by-side OCI runtime benchmarks with hyperfine: runc vs berth-runtime vs crun.
#   bash bench/runtime-bench.sh            (as root; BENCH_RUNS, BENCH_LOOP, BENCH_LOOP_RUNS to tune)
# Progress and hyperfine's own output go to stderr; stdout is a markdown table for the README.
# A runtime that is missing or cannot run a container here (crun on cgroup v1/hybrid hosts) is
# reported as skipped with its error, and the others still run.
set -euo pipefail
BENCH_REPO=$(cd "$(dirname "$0")/.." && pwd)
. "$BENCH_REPO/bench/lib/bench-common.sh"

RUNS=${BENCH_RUNS:-30}
LOOP=${BENCH_LOOP:-100}
LOOP_RUNS=${BENCH_LOOP_RUNS:-3}
RUNTIMES=(runc berth-runtime crun)

[ "$(id -u)" = 0 ] || bench_die "run as root"
bench_require hyperfine node /usr/bin/time mount umount
trap bench_teardown EXIT INT TERM
bench_setup
results="$BENCH_WORK/results"
echo "$LOOP" > "$results/loop-count"

# A runtime takes part only if one `run` of /bin/true works; otherwise its error is the reason.
available=()
for rt in "${RUNTIMES[@]}"; do
  cmd=$(bench_runtime_cmd "$rt")
  if [ -z "$cmd" ]; then
    echo "not installed" > "$results/skipped-$rt.txt"; bench_log "$rt: skipped (not installed)"; continue
  fi
  b=$(bench_bundle "$rt" true /bin/true)
  if err=$($cmd --root "$BENCH_WORK/root-$rt" run --bundle "$b" probe-$rt 2>&1 >/dev/null); then
    available+=("$rt")
  else
    # The first line that names an error (a node stack trace ends with its version, not its cause).
    why=$( { printf '%s\n' "$err" | grep -m1 -i 'error' || printf '%s\n' "$err" | grep -v '^\s*$' | tail -n 1; } | cut -c1-200)
    echo "\`${why:-exit status non-zero}\`" > "$results/skipped-$rt.txt"
    bench_log "$rt: skipped, a trial run failed: ${why}"
    $cmd --root "$BENCH_WORK/root-$rt" delete --force probe-$rt >/dev/null 2>&1 || true
  fi
done
[ "${#available[@]}" -gt 0 ] || bench_die "no runtime could run a container"
bench_log "benchmarking: ${available[*]}"

# hyperfine_for NAME RUNS TEMPLATE: TEMPLATE uses {cmd} {root} {bundle}, filled in per runtime.
hyperfine_for() {
  local name=$1 runs=$2 template=$3 args=() rt cmd line
  for rt in "${available[@]}"; do
    cmd=$(bench_runtime_cmd "$rt")
    line=${template//\{cmd\}/$cmd}
    line=${line//\{root\}/$BENCH_WORK/root-$rt}
    line=${line//\{bundle\}/$BENCH_WORK/bundle-$rt-true}
    args+=(--command-name "$rt" "$line")
  done
  hyperfine --warmup 2 --runs "$runs" --export-json "$results/$name.json" "${args[@]}" >&2
}

hyperfine_for run "$RUNS" '{cmd} --root {root} run --bundle {bundle} bench-run'
hyperfine_for cycle "$RUNS" '{cmd} --root {root} create --bundle {bundle} bench-cycle && {cmd} --root {root} start bench-cycle && {cmd} --root {root} delete --force bench-cycle'
hyperfine_for loop "$LOOP_RUNS" "for i in \$(seq $LOOP); do {cmd} --root {root} run --bundle {bundle} bench-loop-\$i || exit 1; done"

# Peak RSS: the largest maximum resident set of the runtime's process tree over a few runs, as
# GNU time reports it (the biggest single process, so the container's /bin/true barely counts).
for rt in "${available[@]}"; do
  cmd=$(bench_runtime_cmd "$rt")
  peak=0
  for i in 1 2 3 4 5; do
    kib=$(/usr/bin/time -f '%M' $cmd --root "$BENCH_WORK/root-$rt" run --bundle "$BENCH_WORK/bundle-$rt-true" bench-rss 2>&1 >/dev/null | tail -n 1)
    [ "$kib" -gt "$peak" ] && peak=$kib
  done
  echo "$peak" > "$results/rss-$rt.txt"
done

node "$BENCH_REPO/bench/lib/report.mjs" "$results" "${RUNTIMES[@]}"
