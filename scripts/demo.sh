#!/bin/bash
# `make demo`: run a container with berth-runtime on the busybox root filesystem that `make build`
# made from Debian's busybox-static (no internet needed).
set -euo pipefail
cd "$(dirname "$0")/.."
rootfs="$PWD/test/fixtures/out/busybox-rootfs"
bundle=$(mktemp -d /tmp/berth-demo.XXXXXX)
trap 'rm -rf "$bundle"' EXIT
(cd "$bundle" && "$OLDPWD/bin/berth-runtime" spec)
node -e '
  const fs = require("fs");
  const [path, rootfs] = process.argv.slice(1);
  const spec = JSON.parse(fs.readFileSync(path, "utf8"));
  spec.root = { path: rootfs, readonly: true };
  spec.hostname = "berth-demo";
  spec.process.terminal = false;
  spec.process.args = ["sh", "-c", "echo \"hello from a berth container: $(hostname), pid $$, $(id)\"; echo processes:; ps"];
  fs.writeFileSync(path, JSON.stringify(spec, null, 2));
' "$bundle/config.json" "$rootfs"
echo "+ berth-runtime run --bundle $bundle demo-$$"
bin/berth-runtime run --bundle "$bundle" "demo-$$"
