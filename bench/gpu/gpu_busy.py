"""GPU busy share while a block runs: nvidia-smi's utilization.gpu sampled every 100 ms (mean, %)."""
import subprocess


class GpuBusy:
    def __enter__(self):
        try:
            self.p = subprocess.Popen(["nvidia-smi", "--query-gpu=utilization.gpu", "--format=csv,noheader,nounits", "-lms", "100"],
                                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        except FileNotFoundError:
            self.p = None
        self.pct = None
        return self

    def __exit__(self, *exc):
        if self.p is None:
            return False
        self.p.terminate()
        text = self.p.communicate()[0]
        vals = [float(v) for v in text.split() if v.replace(".", "").isdigit()]
        # The first reading covers the time before the block.
        vals = vals[1:] or vals
        self.pct = sum(vals) / len(vals) if vals else None
        return False
