"""bench/gpu/shapes: TorchScript ResNet-50 at a dynamic batcher's mix of batch sizes (1..64, random), in
2 s windows, under one executor setting (argv[3]): default | no-optimize | legacy. argv[1] repository,
argv[2] seconds. Prints img/s per window (steady state shows after the first windows)."""
import sys
import time

import numpy as np
import torch

repo, seconds, mode = sys.argv[1], float(sys.argv[2]), sys.argv[3]
if mode == "legacy":
    torch._C._jit_set_profiling_executor(False)
dev = torch.device("cuda")
m = torch.jit.load(f"{repo}/resnet50_pt/1/model.pt", map_location=dev).eval()
rng = np.random.default_rng(1)
pool = {b: torch.from_numpy(rng.random((b, 3, 224, 224), dtype=np.float32)).pin_memory() for b in range(1, 65)}
windows = []
with torch.inference_mode(), torch.jit.optimized_execution(mode != "no-optimize"):
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        w_end, images, t0 = time.perf_counter() + 2, 0, time.perf_counter()
        while time.perf_counter() < w_end:
            b = int(rng.integers(1, 65))
            m(pool[b].to(dev, non_blocking=True)).cpu()
            images += b
        windows.append(round(images / (time.perf_counter() - t0)))
print(f"shapes {mode}: img/s per 2 s window {windows}")
