#!/bin/bash
# `berth build` against `buildah bud` on this machine, side by side with hyperfine: a cold build (no
# cache: berth --no-cache, buildah --layers --no-cache) and a warm one (everything cached) of a small
# multi-stage Dockerfile, both from the default busybox image (dist/images/busybox.tar).
#   bash bench/build-bench.sh        (as root; BENCH_RUNS to tune; needs make build)
# Progress goes to stderr; stdout is a markdown table. buildah runs with the vfs driver and chroot
# isolation (what works in a plain container host without fuse-overlayfs), berth with its default
# (overlay where the storage root allows it), so the table says which each used.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${BENCH_RUNS:-5}
[ "$(id -u)" = 0 ] || { echo "build-bench: run as root" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "build-bench: needs hyperfine" >&2; exit 1; }
ARCHIVE="$REPO/dist/images/busybox.tar"
[ -f "$ARCHIVE" ] || { echo "build-bench: $ARCHIVE missing: run make build" >&2; exit 1; }

WORK=$(mktemp -d /var/tmp/berth-build-bench.XXXXXX)
cleanup() { buildah "${BH[@]}" rmi --all --force >/dev/null 2>&1 || true; rm -rf "$WORK"; }
BH=(--root "$WORK/buildah-root" --runroot "$WORK/buildah-run" --storage-driver vfs)
trap cleanup EXIT INT TERM

mkdir -p "$WORK/ctx/src"
for i in $(seq 1 50); do printf 'file %s\n' "$i" > "$WORK/ctx/src/f$i.txt"; done
cat > "$WORK/ctx/Dockerfile" <<'DF'
FROM localhost/busybox AS builder
WORKDIR /build
COPY src/ ./src/
RUN cat src/*.txt > bundle.txt && sha256sum bundle.txt > bundle.sum
RUN mkdir -p out && for i in 1 2 3 4 5; do cp bundle.txt out/part$i; done

FROM localhost/busybox
COPY --from=builder /build/out /srv/out
COPY --from=builder /build/bundle.sum /srv/
RUN echo "app:x:1000:1000::/srv:/bin/sh" >> /etc/passwd
USER 1000
ENV MODE=bench
CMD ["cat", "/srv/bundle.sum"]
DF

# berth through the CLI main.ts runs (build/src/cli/berth/entry.js) once `build` is registered there;
# until then through the test runner of the same command.
BERTH=(node "$REPO/build/src/cli/berth/entry.js")
if ! "${BERTH[@]}" build --help >/dev/null 2>&1; then BERTH=(node "$REPO/build/test/integration/build-cli.js"); fi
BERTH+=(--root "$WORK/berth-root" --run-root "$WORK/berth-run")
export BERTH_DEFAULT_IMAGE="$ARCHIVE"
"${BERTH[@]}" build -q "$WORK/ctx" >/dev/null   # loads the base image, fills the cache

cmds=(
  "berth cold" "${BERTH[*]} build -q --no-cache $WORK/ctx"
  "berth warm" "${BERTH[*]} build -q $WORK/ctx"
)
if command -v buildah >/dev/null; then
  buildah "${BH[@]}" pull -q "docker-archive:$ARCHIVE" >/dev/null
  buildah "${BH[@]}" bud -q --layers --isolation chroot "$WORK/ctx" >/dev/null
  cmds+=(
    "buildah cold" "buildah ${BH[*]} bud -q --layers --no-cache --isolation chroot $WORK/ctx"
    "buildah warm" "buildah ${BH[*]} bud -q --layers --isolation chroot $WORK/ctx"
  )
else
  echo "build-bench: buildah not installed: berth only" >&2
fi

names=(); args=()
for ((i = 0; i < ${#cmds[@]}; i += 2)); do names+=(-n "${cmds[i]}"); args+=("${cmds[i+1]}"); done
hyperfine --runs "$RUNS" --warmup 1 --export-markdown "$WORK/table.md" "${names[@]}" "${args[@]}" >&2
driver=$(ls "$WORK/berth-root/snapshots" 2>/dev/null | head -1)
echo "### berth build vs buildah bud (small multi-stage Dockerfile, $RUNS runs; berth storage: ${driver:-?}, buildah: vfs + chroot)"
echo
cat "$WORK/table.md"
