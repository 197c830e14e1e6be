#!/usr/bin/env bash
# bench/gpu/probe.sh: where a served ResNet-50 batch's time goes on the GPU machine. probe.py (no server),
# then the server with the stack sampler (sampler/) on every stub, HTTP c=64 against 2 instances and against
# 1 instance, server statistics after each. Usage: bash bench/gpu/probe.sh BUNDLE OUT [--cpu]
set -u
BUNDLE=$(realpath "$1"); OUT=$(realpath "$2"); CPU=${3:-}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/common.sh"
W=/tmp/inferd-gpu-probe; mkdir -p "$OUT/samples"
unpack_bundle "$BUNDLE" $W
STUB=$W/app/packages/server/src/backends/python/stub
python3 "$HERE/make_models.py" $W/repo $CPU || exit 1
# A copy with one instance: does a second CUDA context on the GPU cost more than it brings?
cp -r $W/repo/resnet50_pt $W/repo/resnet50_one && sed -i 's/count: 2/count: 1/' $W/repo/resnet50_one/config.pbtxt
python3 "$HERE/probe.py" $W/repo ${PROBE_SECONDS:-3} $STUB > "$OUT/probe.json" 2> "$OUT/probe.log" || cat "$OUT/probe.log"
cat "$OUT/probe.log" | grep -v Warn
PERF="$NODE $W/app/packages/perf/bin/inferd-perf.js"
PYTHONPATH=$HERE/sampler INFERD_SAMPLE_DIR=$OUT/samples $NODE $W/app/packages/server/bin/inferd.js serve \
  --model-repository $W/repo --http-port 8000 --grpc-port 8001 --metrics-port 8002 > "$OUT/server.log" 2>&1 &
SERVER=$!
wait_ready "$OUT/server.log" || exit 1
for m in resnet50_pt resnet50_one; do
  for c in ${LEVELS:-64}; do
    $PERF -m $m --concurrency-range $c:$c -p 2000 -r 4 -s 15 -i http -u 127.0.0.1:8000 --workers 4 > "$OUT/perf_${m}_$c.log" 2>&1
    echo "$m c=$c $(grep -E 'Throughput|Avg batch|Avg request' "$OUT/perf_${m}_$c.log" | tr -s ' ' | tr '\n' ' ')"
    python3 -c "import urllib.request,sys; print(urllib.request.urlopen('http://127.0.0.1:8000/v2/models/'+sys.argv[1]+'/stats').read().decode())" $m > "$OUT/stats_${m}_$c.json"
  done
done
sleep 2.5
kill $SERVER; wait $SERVER
python3 - "$OUT" <<'PY'
import json, sys, glob
out = sys.argv[1]
for f in sorted(glob.glob(out + "/stats_*.json")):
    s = json.load(open(f))["model_stats"][0]
    inf = s["inference_stats"]
    n = max(int(inf["success"]["count"]), 1)
    per = {k: round(int(v["ns"]) / n / 1000, 1) for k, v in inf.items() if isinstance(v, dict) and "ns" in v}
    ex = max(int(s.get("execution_count", 0)), 1)
    bt = {k: round(int(v["ns"]) / ex / 1000, 1) for k, v in inf.items() if isinstance(v, dict) and "ns" in v}
    print(f.split("/")[-1], "inferences", s.get("inference_count"), "executions", s.get("execution_count"),
          "µs per request", per, "µs per execution", bt)
PY
for f in "$OUT"/samples/*.txt; do head -c 6000 "$f"; echo; done
