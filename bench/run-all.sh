#!/bin/bash
# `make bench`: every side-by-side benchmark, one after another (as root, after `make build`).
# Each prints its own markdown table with ratios against the peers installed here (runc, crun,
# podman, skopeo, buildah, GNU tar, libseccomp). BENCH_ONLY="runtime engine" picks some.
set -uo pipefail
cd "$(dirname "$0")/.."
all=(runtime engine network api pull build unpack seccomp)
only=${BENCH_ONLY:-${all[*]}}
status=0
for b in $only; do
  echo
  echo "################ $b"
  case $b in
    seccomp) npx tsc -p tsconfig.json >/dev/null && node bench/seccomp-compile.mjs 200 ;;
    *) bash "bench/$b-bench.sh" ;;
  esac || { echo "bench $b failed" >&2; status=1; }
done
exit $status
