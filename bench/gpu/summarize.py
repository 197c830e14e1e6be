"""bench/gpu: turns run.sh's files in argv[1] into the RESULTS.md table (markdown on stdout).
served / raw: the served images/s over raw torch's at the batch the server formed (average batch of the
level, raw interpolated between its measured batches 1/8/32/64)."""
import csv
import glob
import json
import os
import re
import sys

out = sys.argv[1]
raw = json.load(open(os.path.join(out, "raw.json")))
rb = sorted((int(b), r) for b, r in raw["batches"].items())


def raw_at(batch):
    if batch <= rb[0][0]:
        return rb[0][1]["img_per_s"]
    for (b0, r0), (b1, r1) in zip(rb, rb[1:]):
        if batch <= b1:
            f = (batch - b0) / (b1 - b0)
            return r0["img_per_s"] + f * (r1["img_per_s"] - r0["img_per_s"])
    return rb[-1][1]["img_per_s"]


def busy(path):
    try:
        vals = [float(v) for v in open(path).read().split() if re.fullmatch(r"[\d.]+", v)]
    except OSError:
        return None
    vals = vals[10:] or vals  # the first second is the perf process starting
    return sum(vals) / len(vals) if vals else None


def level(model, transport, c):
    base = os.path.join(out, f"perf_{model}_{transport}_{c}")
    try:
        row = next(csv.DictReader(open(base + ".csv")))
    except (OSError, StopIteration):
        return None
    log = open(base + ".log").read()
    m = re.search(r"Avg batch size: ([\d.]+)", log)
    return {"per_s": float(row["Inferences/Second"]), "p50_ms": int(row["p50 latency"]) / 1000,
            "batch": float(m.group(1)) if m else 1.0, "busy": busy(base.replace("perf_", "busy_") + ".txt"),
            "stable": "not stable" not in log}


fmt_busy = lambda b: "—" if b is None else f"{b:.0f} %"
print(f"Device: {raw['device']}, torch {raw['torch']}.\n")
print("| path | c=1 | c=8 | c=32 | c=64 |")
print("|---|---|---|---|---|")
cells = [f"{r['img_per_s']:.0f} img/s (b{b}), busy {fmt_busy(r['gpu_busy_pct'])}" for b, r in rb]
print(f"| raw torch, batch 1/8/32/64 (host to host) | {' | '.join(cells)} |")
for t, label in (("http", "HTTP binary"), ("grpc", "gRPC"), ("inprocess", "in-process")):
    cells = []
    for c in (1, 8, 32, 64):
        L = level("resnet50_pt", t, c)
        if L is None:
            cells.append("—")
            continue
        ratio = L["per_s"] / raw_at(L["batch"])
        cells.append(f"{L['per_s']:.0f} img/s, b{L['batch']:.1f}, **{ratio:.2f}**, busy {fmt_busy(L['busy'])}{'' if L['stable'] else ' (unstable)'}")
    print(f"| {label} | {' | '.join(cells)} |")
print()
for t in ("http", "grpc", "inprocess"):
    L = level("resnet50_pt", t, 1)
    if L is not None:
        print(f"- c=1 p50 {t}: {L['p50_ms']:.2f} ms vs raw b1 {rb[0][1]['p50_ms']:.2f} ms = {L['p50_ms'] / rb[0][1]['p50_ms']:.2f}×")
L = level("identity_pt", "http", 1)
if L is not None:
    ri = raw["identity"]["p50_ms"]
    print(f"- identity FP32[16] on the GPU, c=1 HTTP p50 {L['p50_ms']:.3f} ms vs raw {ri:.3f} ms: {L['p50_ms'] - ri:.3f} ms added")
