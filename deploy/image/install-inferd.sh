#!/bin/sh
# The image's install steps, one script for the Containerfile's build stage and for
# scripts/check-image.sh: from a checkout where `npm ci` and the build ran, copy what the server needs
# at run time into PREFIX (no devDependencies, no sources, no tests) and keep only ARCH's ONNX Runtime
# binaries (the npm package carries every platform's: ~290 MB, ~45 MB for one).
# Usage: install-inferd.sh PREFIX ARCH   (ARCH: amd64 | arm64, Docker's TARGETARCH names)
set -eu
prefix=$1
case "$2" in
  amd64) ort_arch=x64 ;;
  arm64) ort_arch=arm64 ;;
  *) echo "install-inferd.sh: unsupported arch '$2' (amd64 or arm64)" >&2; exit 2 ;;
esac
npm prune --omit=dev --ignore-scripts --no-audit --no-fund
mkdir -p "$prefix/packages/protocol" "$prefix/packages/server/src/backends/python" "$prefix/scripts"
cp -a package.json node_modules "$prefix/"
cp -a packages/protocol/package.json packages/protocol/dist "$prefix/packages/protocol/"
[ -d packages/protocol/proto ] && cp -a packages/protocol/proto "$prefix/packages/protocol/"
cp -a packages/server/package.json packages/server/bin packages/server/dist "$prefix/packages/server/"
cp -a packages/server/src/backends/python/stub "$prefix/packages/server/src/backends/python/"
cp -a deploy/image/fetch-model-repository.mjs "$prefix/scripts/"
# Workspace links to packages the server does not need (client, perf) would dangle.
rm -f "$prefix/node_modules/@inferd/client" "$prefix/node_modules/@inferd/perf" "$prefix/node_modules/.bin/inferd-perf"
ort="$prefix/node_modules/onnxruntime-node/bin"
for dir in "$ort"/napi-v*; do
  find "$dir" -mindepth 1 -maxdepth 1 ! -name linux -exec rm -rf {} +
  find "$dir/linux" -mindepth 1 -maxdepth 1 ! -name "$ort_arch" -exec rm -rf {} +
done
find "$prefix" -name '*.map' -delete
find "$prefix" -name '*.tsbuildinfo' -delete
