# bench/gpu/common.sh: the steps run.sh and the probes share (sourced, not run).
# unpack_bundle BUNDLE W: node (xz) and the app tarball from bundle.sh into W; sets NODE and INFERD_PYTHON.
unpack_bundle() {
  local bundle=$1 w=$2
  rm -rf "$w"; mkdir -p "$w/app"
  python3 -c "import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2],'wb'))" "$bundle/node.xz" "$w/node"
  chmod +x "$w/node"; NODE=$w/node
  python3 -c "import tarfile,sys; tarfile.open(sys.argv[1]).extractall(sys.argv[2])" "$bundle/app.tar.xz" "$w/app"
  export INFERD_PYTHON=$(command -v python3) PYTHONUNBUFFERED=1
}

# wait_ready LOG: until the server on :8000 is ready (two minutes at most); prints LOG and fails otherwise.
wait_ready() {
  python3 - <<'PY' || { cat "$1"; return 1; }
import time, urllib.request
for _ in range(600):
    try:
        if urllib.request.urlopen("http://127.0.0.1:8000/v2/health/ready").status == 200: break
    except Exception: time.sleep(0.2)
else: raise SystemExit("server not ready")
PY
}

# probe_setup NAME: the probes' work directory W=/tmp/inferd-gpu-NAME (logs in L=$W/logs), the bundle unpacked there
# (BUNDLE), OUT made, and the bench models written to $W/repo (CPU=--cpu: the small CPU stand-ins, a local check).
probe_setup() {
  W=/tmp/inferd-gpu-$1; L=$W/logs
  unpack_bundle "$BUNDLE" $W; mkdir -p $L $OUT
  python3 "$HERE/make_models.py" $W/repo ${CPU:-} > $L/models.log 2>&1 || { cat $L/models.log; exit 1; }
}

# perf_lines TITLE LOG: a title line, then the perf log's throughput, server stage times and batch size.
perf_lines() {
  echo "== $1"; grep -E 'Throughput|Avg request latency|Avg batch' "$2" | tr -s ' '
}
