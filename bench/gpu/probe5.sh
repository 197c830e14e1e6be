#!/usr/bin/env bash
# bench/gpu/probe5.sh: does a preferred batch size (how a Triton user asks for batches that go at once) let a
# staging slot take the next batch while one runs, so that its input write overlaps the running execution
# (probe4: the write sits on the critical path)? resnet50_pt as run.sh makes it, and rn_pref = the same with
# `preferred_batch_size: [ 16, 32 ]`; HTTP c=32/64 and in-process c=32/64, stage times from the statistics.
# Usage: bash bench/gpu/probe5.sh BUNDLE OUT   (OUT/summary.txt)
set -u
BUNDLE=$(realpath "$1"); OUT=$(realpath "$2")
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/common.sh"
probe_setup probe5
{ echo "== /dev/shm write of a 38 MB body"; $W/node "$HERE/tmpfs-write.mjs"; } >> $OUT/summary.txt 2>&1
rm -rf $W/repo/identity_pt* && cp -r $W/repo/resnet50_pt $W/repo/rn_pref
sed -i 's/dynamic_batching { /dynamic_batching { preferred_batch_size: [ 16, 32 ] /' $W/repo/rn_pref/config.pbtxt
grep dynamic_batching $W/repo/rn_pref/config.pbtxt >> $OUT/summary.txt
PERF="$W/node $W/app/packages/perf/bin/inferd-perf.js"
WIN="-p ${WINDOW_MS:-1500} -r ${WINDOWS:-5} -s 15"
PATH=$W:$PATH sh $W/app/packages/server/bin/inferd serve --model-repository $W/repo --http-port 8000 --grpc-port 8001 \
  --metrics-port 8002 > $L/server.log 2>&1 &
SERVER=$!
wait_ready $L/server.log || exit 1
for m in resnet50_pt rn_pref; do for c in 64 32 16 8; do $PERF -m $m --concurrency-range $c:$c -p 1000 -r 2 -s 100 -i http -u 127.0.0.1:8000 --workers 4 > /dev/null 2>&1; done; done
for c in 32 64; do for m in resnet50_pt rn_pref; do
  $PERF -m $m --concurrency-range $c:$c $WIN -i http -u 127.0.0.1:8000 --workers 4 > $L/perf_${m}_http_$c.log 2>&1
  perf_lines "$m http c=$c" $L/perf_${m}_http_$c.log >> $OUT/summary.txt
done; done
kill -TERM $SERVER; wait $SERVER
for c in 32 64; do for m in resnet50_pt rn_pref; do
  $PERF -m $m --concurrency-range $c:$c -p 1500 -r 8 -s 15 -i inprocess --model-repository $W/repo > $L/perf_${m}_inprocess_$c.log 2>&1
  perf_lines "$m inprocess c=$c" $L/perf_${m}_inprocess_$c.log >> $OUT/summary.txt
done; done
