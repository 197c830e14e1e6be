#!/usr/bin/env bash
# bench/gpu/probe3.sh: where an in-process ResNet-50 batch's time goes (served/raw was 0.18-0.21 at c=32/64 with
# the GPU ~10 % busy): inferd-perf -i inprocess (the server inside the perf process) under node --cpu-prof, with
# the stub stack sampler (sampler/), at c=32 and c=64; the perf log's per-stage times (queue, compute input,
# infer, output). Usage: bash bench/gpu/probe3.sh BUNDLE OUT
set -u
BUNDLE=$(realpath "$1"); OUT=$(realpath "$2")
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/common.sh"
W=/tmp/inferd-gpu-probe3; mkdir -p "$OUT"
unpack_bundle "$BUNDLE" $W
python3 "$HERE/make_models.py" $W/repo ${CPU:-} || exit 1
for c in ${LEVELS:-32 64}; do
  rm -rf $W/prof; mkdir -p $OUT/samples_$c
  PYTHONPATH=$HERE/sampler INFERD_SAMPLE_DIR=$OUT/samples_$c $NODE --cpu-prof --cpu-prof-dir=$W/prof \
    $W/app/packages/perf/bin/inferd-perf.js -m resnet50_pt --concurrency-range $c:$c -p 2000 -r 8 -s 15 \
    -i inprocess --model-repository $W/repo > "$OUT/perf_$c.log" 2>&1
  echo "== inprocess c=$c: $(grep -E 'Throughput|Avg batch|Avg request|queue|compute' "$OUT/perf_$c.log" | tr -s ' ' | tr '\n' ' ')"
  for f in $W/prof/*.cpuprofile; do $NODE "$HERE/../lib/cpuprofile-top.mjs" $f 30 Stub stub write Batcher infer; done
  for f in $OUT/samples_$c/*.txt; do echo "-- stub $f"; head -40 $f; done
done
