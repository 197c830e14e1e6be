# bench/gpu/common.sh: the steps run.sh, probe.sh and probe2.sh share (sourced, not run).
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
