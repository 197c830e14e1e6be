"""bench/gpu/probe: where a served batch's time goes, without the server.

Runs the ResNet-50 model.pt of make_models.py (argv[1] = repository) several ways for argv[2] seconds each:
  raw-pinned b13      raw.py's step at a fixed batch of 13 (pinned host copy, H2D, forward, D2H)
  raw-pageable b13    the same without pin_memory (what the stub's tensor.to(device) does)
  raw-random          batch sizes drawn from 1..64 each step (a dynamic batcher's mix): img/s
  model-class b13     inferd's pytorch backend model code (stub/inferd_pytorch_model.py) on 13 requests of
                      one image each, built as pb_utils requests: execute() alone, no server
  two-processes b8    two processes running raw b8 at once on the one GPU (two CUDA contexts, as two stubs)
argv[3] = the stub directory. Prints one JSON object.
"""
import json
import multiprocessing as mp
import os
import sys
import time

import numpy as np
import torch

repo, seconds, stub_dir = sys.argv[1], float(sys.argv[2]), sys.argv[3]
dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
rng = np.random.default_rng(1)


def load():
    return torch.jit.load(f"{repo}/resnet50_pt/1/model.pt", map_location=dev).eval()


def step(m, x, pin):
    t = torch.from_numpy(x)
    if dev.type == "cuda":
        t = (t.pin_memory() if pin else t).to(dev, non_blocking=True)
    return m(t).cpu().numpy()


def timed(fn, images_of):
    with torch.inference_mode():
        for _ in range(5):
            fn()
        lat, images = [], 0
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            t0 = time.perf_counter()
            images += images_of(fn())
            lat.append(time.perf_counter() - t0)
    lat.sort()
    return {"n": len(lat), "img_per_s": images / sum(lat), "p50_ms": 1000 * lat[len(lat) // 2]}


def model_class(b):
    sys.path.insert(0, stub_dir)
    import triton_python_backend_utils as pb_utils
    from inferd_pytorch_model import TritonPythonModel
    config = open(f"{repo}/resnet50_pt/config.pbtxt").read()
    # The model code reads the JSON config the server renders; these are the fields it uses.
    cfg = {"name": "resnet50_pt", "max_batch_size": 64, "parameters": {"INFERENCE_MODE": {"string_value": "true"}},
           "input": [{"name": "INPUT__0", "data_type": "TYPE_FP32", "dims": [3, 224, 224]}],
           "output": [{"name": "OUTPUT__0", "data_type": "TYPE_FP32", "dims": [1000]}]}
    assert "INPUT__0" in config
    model = TritonPythonModel()
    model.initialize({"model_config": json.dumps(cfg), "model_repository": f"{repo}/resnet50_pt", "model_version": "1",
                      "model_instance_kind": "GPU" if dev.type == "cuda" else "CPU", "model_instance_device_id": "0",
                      "model_name": "resnet50_pt", "model_instance_name": "resnet50_pt_0_0"})
    x = [rng.random((1, 3, 224, 224), dtype=np.float32) for _ in range(b)]
    reqs = [pb_utils.InferenceRequest(inputs=[pb_utils.Tensor("INPUT__0", a)], model_name="resnet50_pt") for a in x]
    return lambda: model.execute(reqs), (lambda out: len(out))


def two_proc_worker(q):
    m = load()
    x = rng.random((8, 3, 224, 224), dtype=np.float32)
    q.put(timed(lambda: step(m, x, True), lambda _: 8))


def main():
    res = {"device": torch.cuda.get_device_name(0) if dev.type == "cuda" else "cpu"}
    m = load()
    x13 = rng.random((13, 3, 224, 224), dtype=np.float32)
    res["raw-pinned b13"] = timed(lambda: step(m, x13, True), lambda _: 13)
    res["raw-pageable b13"] = timed(lambda: step(m, x13, False), lambda _: 13)
    sizes = rng.integers(1, 65, 10000)
    pool = {int(b): rng.random((int(b), 3, 224, 224), dtype=np.float32) for b in set(sizes.tolist())}
    it = iter(sizes.tolist() * 10)
    res["raw-random"] = timed(lambda: step(m, pool[next(it)], True), lambda out: out.shape[0])
    fn, count = model_class(13)
    res["model-class b13"] = timed(fn, count)
    res["raw-pinned b8 one process"] = timed(lambda: step(m, x13[:8], True), lambda _: 8)
    del m
    torch.cuda.empty_cache() if dev.type == "cuda" else None
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    procs = [ctx.Process(target=two_proc_worker, args=(q,)) for _ in range(2)]
    for p in procs:
        p.start()
    res["two-processes b8"] = [q.get() for _ in procs]
    for p in procs:
        p.join()
    for k, v in res.items():
        print(k, v, file=sys.stderr)
    print(json.dumps(res))


if __name__ == "__main__":
    main()
