#!/bin/bash
# `make demo`: berth's main job, a container, on the default busybox image that `make build` made
# from Debian's busybox-static (no internet needed). Then the same with berth-runtime on a bundle.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "+ berth run --rm busybox sh -c '...'"
bin/berth run --rm --hostname berth-demo busybox \
  sh -c 'echo "hello from a berth container: $(hostname), pid $$, $(id)"; echo "its network:"; ip -4 -o addr | awk "{print \"  \" \$2, \$4}"; echo "its processes:"; ps'

rootfs="$PWD/test/fixtures/out/busybox-rootfs"
bundle=$(mktemp -d /tmp/berth-demo.XXXXXX)
trap 'rm -rf "$bundle"' EXIT
(cd "$bundle" && "$OLDPWD/bin/berth-runtime" spec)
node -e '
  const fs = require("fs");
  const [path, rootfs] = process.argv.slice(1);
  const spec = JSON.parse(fs.readFileSync(path, "utf8"));
  spec.root = { path: rootfs, readonly: true };
  spec.hostname = "berth-runtime-demo";
  spec.process.terminal = false;
  spec.process.args = ["sh", "-c", "echo \"hello from berth-runtime: $(hostname), pid $$\""];
  fs.writeFileSync(path, JSON.stringify(spec, null, 2));
' "$bundle/config.json" "$rootfs"
echo "+ berth-runtime run --bundle $bundle demo-$$"
bin/berth-runtime run --bundle "$bundle" "demo-$$"
