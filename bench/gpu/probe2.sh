#!/usr/bin/env bash
# bench/gpu/probe2.sh: (1) TorchScript executor settings at mixed batch sizes (shapes.py); (2) the server under
# HTTP c=64 with node --cpu-prof (server and inferd-perf), summarized by bench/lib/cpuprofile-top.mjs.
# Usage: bash bench/gpu/probe2.sh BUNDLE OUT
set -u
BUNDLE=$(realpath "$1"); OUT=$(realpath "$2")
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/common.sh"
W=/tmp/inferd-gpu-probe; mkdir -p "$OUT"
unpack_bundle "$BUNDLE" $W
python3 "$HERE/make_models.py" $W/repo ${CPU:-} || exit 1
# Variants of the one-instance model: TorchScript executor settings (Triton's pytorch parameters).
sed -i 's/count: 2/count: 1/' $W/repo/resnet50_pt/config.pbtxt
variant() { cp -r $W/repo/resnet50_pt $W/repo/$1; sed -i "s/^parameters/parameters { key: \"$2\" value: { string_value: \"$3\" } }\nparameters/" $W/repo/$1/config.pbtxt; }
variant rn_noprof ENABLE_JIT_PROFILING false
variant rn_noopt DISABLE_OPTIMIZED_EXECUTION true
cp -r $W/repo/resnet50_pt $W/repo/rn_two && sed -i 's/count: 1/count: 2/' $W/repo/rn_two/config.pbtxt
grep -h parameters $W/repo/rn_noprof/config.pbtxt $W/repo/rn_noopt/config.pbtxt
for mode in ${MODES:-default no-optimize legacy}; do python3 "$HERE/shapes.py" $W/repo ${SHAPE_SECONDS:-12} $mode 2>&1 | grep -v Warn; done
PERF="$NODE --cpu-prof --cpu-prof-dir=$W/prof-perf $W/app/packages/perf/bin/inferd-perf.js"
$NODE --cpu-prof --cpu-prof-dir=$W/prof-server $W/app/packages/server/bin/inferd.js serve --model-repository $W/repo \
  --http-port 8000 --grpc-port 8001 --metrics-port 8002 > "$OUT/server.log" 2>&1 &
SERVER=$!
wait_ready "$OUT/server.log" || exit 1
for m in ${VARIANTS:-rn_noprof rn_noopt rn_two}; do
  $NODE $W/app/packages/perf/bin/inferd-perf.js -m $m --concurrency-range 64:64 -p 2000 -r 4 -s 15 -i http -u 127.0.0.1:8000 --workers 4 > "$OUT/perf_$m.log" 2>&1
  echo "$m http c=64 $(grep -E 'Throughput|Avg batch|Avg request' "$OUT/perf_$m.log" | tr -s ' ' | tr '\n' ' ')"
done
for t in ${TRANSPORTS:-http grpc}; do
  rm -rf $W/prof-perf
  $PERF -m resnet50_pt --concurrency-range 64:64 -p 2000 -r 4 -s 15 -i $t -u 127.0.0.1:$([ $t = http ] && echo 8000 || echo 8001) --workers 4 > "$OUT/perf_$t.log" 2>&1
  echo "$t c=64 $(grep -E 'Throughput|Avg batch' "$OUT/perf_$t.log" | tr -s ' ' | tr '\n' ' ')"
  for f in $W/prof-perf/*.cpuprofile; do $NODE "$HERE/../lib/cpuprofile-top.mjs" $f 12; done
done
kill -TERM $SERVER; wait $SERVER
for f in $W/prof-server/*.cpuprofile; do $NODE "$HERE/../lib/cpuprofile-top.mjs" $f 45 Http Grpc Stub stub write Batcher; done
