#!/bin/bash
# The whole test suite: unit tests (beside the code), then integration tests (need root, real kernel).
# Called by `make test` (after `make build`). Prints node's test summary; exits non-zero on failure.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
mapfile -t unit < <(find build/src -name '*.test.js' | sort)
mapfile -t integ < <(find build/test -name '*.test.js' | sort)
echo "== unit tests (${#unit[@]} files)"
node --test --test-concurrency=2 --test-reporter=spec "${unit[@]}" || status=1
if [ "${#integ[@]}" -gt 0 ]; then
  echo "== integration tests (${#integ[@]} files)"
  node --test --test-concurrency=1 --test-reporter=spec "${integ[@]}" || status=1
fi
exit $status
