"""bench/gpu: correctness before speed. 64 threads x 20 rounds of HTTP binary requests with distinct FP32 data to
identity_pt_b (batched on the device), identity_pt and identity_pt_big (256 KiB rows, batched: through the stub's
shared region and its DMA to the device); every reply must be exactly its own input.
Usage: python3 check_values.py [port]"""
import json
import sys
import threading
import urllib.request

import numpy as np

PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 8000
errors, done = [], [0]


def infer(model, x, batched):
    shape = [1, x.size] if batched else [x.size]
    head = json.dumps({"inputs": [{"name": "INPUT__0", "datatype": "FP32", "shape": shape,
                                    "parameters": {"binary_data_size": x.nbytes}}],
                       "outputs": [{"name": "OUTPUT__0", "parameters": {"binary_data": True}}]}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{PORT}/v2/models/{model}/infer", data=head + x.tobytes(),
                                 headers={"Inference-Header-Content-Length": str(len(head))})
    with urllib.request.urlopen(req) as r:
        body = r.read()
        n = int(r.headers["Inference-Header-Content-Length"])
    return np.frombuffer(body[n:], dtype=np.float32)


def worker(t):
    for i in range(20):
        for model, batched, n in (("identity_pt_b", True, 16), ("identity_pt", False, 16), ("identity_pt_big", True, 65536)):
            x = (np.arange(n, dtype=np.float32) + t * 1000 + i * 16)
            try:
                y = infer(model, x, batched)
                if not np.array_equal(x, y):
                    errors.append(f"{model} thread {t} round {i}: got {y[:4]}..., want {x[:4]}...")
            except Exception as e:  # noqa: BLE001
                errors.append(f"{model} thread {t} round {i}: {e}")
            done[0] += 1


threads = [threading.Thread(target=worker, args=(t,)) for t in range(64)]
for th in threads:
    th.start()
for th in threads:
    th.join()
print(f"check_values: {done[0]} replies, {len(errors)} wrong" + ("" if not errors else ": " + "; ".join(errors[:5])))
sys.exit(1 if errors else 0)
