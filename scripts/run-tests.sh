#!/bin/bash
# The whole test suite: unit tests (beside the code), then integration tests (need root, real kernel).
# Called by `make test` (after `make build`). Ends with one "N passed, N failed" line for both runs.
set -uo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp /tmp/berth-tests.XXXXXX)
trap 'rm -f "$log"' EXIT
status=0
# Tests share the busybox rootfs fixture read-only; remember it to check that none wrote into it.
fixture=test/fixtures/out/busybox-rootfs
fixture_before=$(cd "$fixture" && find . | sort | sha256sum)
mapfile -t unit < <(find build/src -name '*.test.js' | sort)
mapfile -t integ < <(find build/test -name '*.test.js' | sort)
echo "== unit tests (${#unit[@]} files)"
node --test --test-concurrency=2 --test-reporter=spec "${unit[@]}" 2>&1 | tee -a "$log" || status=1
if [ "${#integ[@]}" -gt 0 ]; then
  echo "== integration tests (${#integ[@]} files)"
  node --test --test-concurrency=1 --test-reporter=spec "${integ[@]}" 2>&1 | tee -a "$log" || status=1
fi
if [ "$(cd "$fixture" && find . | sort | sha256sum)" != "$fixture_before" ]; then
  echo "a test wrote into the shared fixture $fixture (use an overlay or a copy):"
  (cd "$fixture" && find . -newer .busybox-stamp | head -20)
  echo "ℹ fail 1" >> "$log"
fi
sum() { grep -E "^ℹ $1 [0-9]+$" "$log" | awk '{s += $3} END {print s + 0}'; }
passed=$(sum pass); failed=$(sum fail); cancelled=$(sum cancelled)
failed=$((failed + cancelled))
[ "$failed" -gt 0 ] && status=1
echo
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  # a before/after hook that throws fails its suite without counting as a failed test
  echo "$passed passed, $failed failed, and a hook or suite failed (the ✖ lines above)"
else
  echo "$passed passed, $failed failed"
fi
exit $status
