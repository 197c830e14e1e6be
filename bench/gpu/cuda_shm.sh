#!/usr/bin/env bash
# bench/gpu: CUDA shared memory end to end on a GPU machine, without the benchmark: unpacks BUNDLE (made by
# bench/gpu/bundle.sh), builds the models, starts inferd with --allow-client-shm=true and runs
# cuda_shm_check.py against identity_pt. Exit status: the check's.
# Usage: bash bench/gpu/cuda_shm.sh BUNDLE OUT
set -u
BUNDLE=$(realpath "$1"); OUT=$(realpath -m "$2"); HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/common.sh"
W=/tmp/inferd-cuda-shm; mkdir -p "$OUT"
unpack_bundle "$BUNDLE" $W
python3 "$HERE/make_models.py" $W/repo || exit 1
PATH=$W:$PATH sh $W/app/packages/server/bin/inferd serve --model-repository $W/repo --http-port 8000 --grpc-port 8001 \
  --metrics-port 8002 --allow-client-shm=true --log-verbose 1 > "$OUT/server.log" 2>&1 &
SERVER=$!
wait_ready "$OUT/server.log" || exit 1
python3 "$HERE/cuda_shm_check.py" http://127.0.0.1:8000 identity_pt | tee "$OUT/cuda_shm_check.txt"
RC=${PIPESTATUS[0]}
kill $SERVER; wait $SERVER
echo "agents left: $(pgrep -fc inferd_cuda_agent.py || true)"
exit $RC
