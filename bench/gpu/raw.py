"""bench/gpu raw baseline: the same TorchScript model.pt in one process, the steps a server does per batch:
numpy FP32 in -> pinned host copy -> H2D -> forward -> D2H -> numpy, synchronously, at batch 1/8/32/64.
Prints JSON: per batch images/s, p50 latency (ms) and GPU busy %; plus the identity round trip."""
import json
import sys
import time

import numpy as np
import torch

from gpu_busy import GpuBusy

repo = sys.argv[1]
seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 4.0
dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
model = torch.jit.load(f"{repo}/resnet50_pt/1/model.pt", map_location=dev).eval()
ident = torch.jit.load(f"{repo}/identity_pt/1/model.pt", map_location=dev).eval()


def step(m, x):
    t = torch.from_numpy(x)
    if dev.type == "cuda":
        t = t.pin_memory().to(dev, non_blocking=True)
    y = m(t)
    out = y.cpu().numpy()
    return out


def measure(m, x):
    with torch.inference_mode():
        for _ in range(5):
            step(m, x)
        if dev.type == "cuda":
            torch.cuda.synchronize()
        lat = []
        with GpuBusy() as busy:
            end = time.perf_counter() + seconds
            while time.perf_counter() < end:
                t0 = time.perf_counter()
                step(m, x)
                lat.append(time.perf_counter() - t0)
    lat.sort()
    return {"n": len(lat), "per_s": len(lat) / sum(lat), "p50_ms": lat[len(lat) // 2] * 1000, "gpu_busy_pct": busy.pct}


rng = np.random.default_rng(1)
res = {"device": torch.cuda.get_device_name(0) if dev.type == "cuda" else "cpu", "torch": torch.__version__, "batches": {}}
for b in (1, 8, 32, 64):
    r = measure(model, rng.random((b, 3, 224, 224), dtype=np.float32))
    r["img_per_s"] = r.pop("per_s") * b
    res["batches"][str(b)] = r
    print(f"raw b{b}: {r['img_per_s']:.0f} img/s p50 {r['p50_ms']:.2f} ms busy {r['gpu_busy_pct']}", file=sys.stderr)
res["identity"] = measure(ident, rng.random((16,), dtype=np.float32))
print(json.dumps(res))
