#!/usr/bin/env bash
# bench/gpu/probe4.sh: where a served ResNet-50 batch's time goes after the region DMA, and what the parallel
# region write (INFERD_SHM_WRITE_THREADS) buys on a 16-core machine. Servers through the launcher: default, and
# with INFERD_SHM_WRITE_THREADS=0, then the default under --cpu-prof. Per level: the perf log's Server stage
# times, CPU per thread of the server and its stubs (thread_cpu.py), the main loop's utilization gauge; then
# in-process stage times with and without the parallel write.
# Usage: bash bench/gpu/probe4.sh BUNDLE OUT   (OUT/summary.txt; the logs in OUT/logs.tar.gz)
set -u
BUNDLE=$(realpath "$1"); OUT=$(realpath "$2")
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/common.sh"
probe_setup probe4
# The launcher execs the `node` on PATH: one wrapper runs it plainly, one under the profiler.
mkdir -p $W/plain $W/prof-bin
printf '#!/bin/sh\nexec %s "$@"\n' "$W/node" > $W/plain/node
printf '#!/bin/sh\nexec %s --cpu-prof --cpu-prof-dir=%s "$@"\n' "$W/node" "$W/prof" > $W/prof-bin/node
chmod +x $W/plain/node $W/prof-bin/node
PERF="$W/node $W/app/packages/perf/bin/inferd-perf.js"
WIN="-p ${WINDOW_MS:-1500} -r ${WINDOWS:-5} -s 15"
elu() { python3 -c "import urllib.request; t=urllib.request.urlopen('http://127.0.0.1:8002/metrics').read().decode(); print(' '.join(l for l in t.splitlines() if l.startswith('inferd_event_loop')))" 2>&1; }
server() { # name bin-dir env...
  local name=$1 bin=$2; shift 2
  env "$@" PATH=$bin:$PATH sh $W/app/packages/server/bin/inferd serve --model-repository $W/repo --http-port 8000 --grpc-port 8001 \
    --metrics-port 8002 --metrics-interval-ms 500 > $L/server_$name.log 2>&1 &
  SERVER=$!
  wait_ready $L/server_$name.log || exit 1
  for c in 64 32 8; do $PERF -m resnet50_pt --concurrency-range $c:$c -p 1500 -r 2 -s 100 -i http -u 127.0.0.1:8000 --workers 4 > /dev/null 2>&1; done
}
level() { # name transport c
  local name=$1 t=$2 c=$3 port; port=$([ $t = http ] && echo 8000 || echo 8001)
  $PERF -m resnet50_pt --concurrency-range $c:$c $WIN -i $t -u 127.0.0.1:$port --workers 4 > $L/perf_${name}_${t}_$c.log 2>&1 &
  # Sampled while the perf run is surely in its windows (it stops once 3 are stable: 4.5 s at the earliest).
  local P=$!; sleep 1.5; (sleep 1.5; elu > $L/elu_${name}_${t}_$c.txt) & local Q=$!
  python3 "$HERE/thread_cpu.py" $SERVER 2.5 > $L/threads_${name}_${t}_$c.txt
  wait $Q $P; local E; E=$(cat $L/elu_${name}_${t}_$c.txt)
  { perf_lines "$name $t c=$c" $L/perf_${name}_${t}_$c.log; echo "  $E"; cat $L/threads_${name}_${t}_$c.txt; } >> $OUT/summary.txt
}
server default $W/plain
for c in 32 64; do level default http $c; done; level default grpc 64
kill -TERM $SERVER; wait $SERVER
server write0 $W/plain INFERD_SHM_WRITE_THREADS=0
for c in 32 64; do level write0 http $c; done
kill -TERM $SERVER; wait $SERVER
server prof $W/prof-bin
level prof http 64
kill -TERM $SERVER; wait $SERVER
for f in $W/prof/*.cpuprofile; do echo "== server profile, http c=64 $(basename $f)"; $W/node "$HERE/../lib/cpuprofile-top.mjs" $f 28 Http Grpc Stub stub write Batcher writeBody; done >> $OUT/summary.txt 2>&1
for w in 4 0; do for c in 32 64; do
  INFERD_SHM_WRITE_THREADS=$w $PERF -m resnet50_pt --concurrency-range $c:$c -p 1500 -r 8 -s 15 -i inprocess --model-repository $W/repo > $L/perf_inprocess_w${w}_$c.log 2>&1
  perf_lines "inprocess write threads $w c=$c" $L/perf_inprocess_w${w}_$c.log >> $OUT/summary.txt
done; done
tar -czf $OUT/logs.tar.gz -C $W logs
