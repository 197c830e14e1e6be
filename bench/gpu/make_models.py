"""bench/gpu: writes the model repository of the GPU bench into argv[1].

resnet50_pt  pytorch backend (TorchScript model.pt): ResNet-50 (torchvision, random weights) in fp16,
             channels_last; FP32 [N,3,224,224] in (converted on the device), FP32 [N,1000] out; dynamic
             batching up to 64, one KIND_GPU instance (GPU_INSTANCES=n for more).
identity_pt  pytorch backend: OUTPUT__0 = INPUT__0 (FP32 [16]) on the GPU: the round trip alone.
The same model.pt files are what raw.py runs, so served and raw do the same GPU work.
`--cpu` (local check of the bundle without a GPU): a small conv net instead of ResNet-50, KIND_CPU.
"""
import os
import sys

import torch

out = sys.argv[1]
cpu = "--cpu" in sys.argv
torch.manual_seed(0)


class Fp16ChannelsLast(torch.nn.Module):
    def __init__(self, net: torch.nn.Module):
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.to(torch.float16).contiguous(memory_format=torch.channels_last)
        return self.net(x).float()


class Identity(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


def resnet():
    if cpu:
        return torch.nn.Sequential(torch.nn.Conv2d(3, 8, 7, stride=8), torch.nn.Flatten(), torch.nn.LazyLinear(1000))
    import torchvision
    return torchvision.models.resnet50(weights=None)


def write(name, module, config):
    os.makedirs(os.path.join(out, name, "1"), exist_ok=True)
    module.save(os.path.join(out, name, "1", "model.pt"))
    with open(os.path.join(out, name, "config.pbtxt"), "w") as f:
        f.write(config)


kind = "KIND_CPU" if cpu else "KIND_GPU"
# One instance per GPU (Triton's default for KIND_GPU): each instance is its own stub process, so a second
# one on the same GPU is a second CUDA context that time-slices with the first (probe.py: two processes
# at b8 gave 1,837 img/s together vs 2,832 for one).
instances = int(os.environ.get("GPU_INSTANCES", "1"))
net = resnet().eval()
if cpu:
    net(torch.zeros(1, 3, 224, 224))  # materialize the lazy layer
    model = torch.jit.script(net)
else:
    net = net.half().to(memory_format=torch.channels_last)
    model = torch.jit.script(Fp16ChannelsLast(net))
write("resnet50_pt", model, f"""platform: "pytorch_libtorch"
max_batch_size: 64
input [ {{ name: "INPUT__0" data_type: TYPE_FP32 dims: [ 3, 224, 224 ] }} ]
output [ {{ name: "OUTPUT__0" data_type: TYPE_FP32 dims: [ 1000 ] }} ]
instance_group [ {{ kind: {kind} count: {instances} }} ]
dynamic_batching {{ max_queue_delay_microseconds: 100 }}
parameters {{ key: "INFERENCE_MODE" value: {{ string_value: "true" }} }}
""")
write("identity_pt", torch.jit.script(Identity()), f"""platform: "pytorch_libtorch"
max_batch_size: 0
input [ {{ name: "INPUT__0" data_type: TYPE_FP32 dims: [ 16 ] }} ]
output [ {{ name: "OUTPUT__0" data_type: TYPE_FP32 dims: [ 16 ] }} ]
instance_group [ {{ kind: {kind} count: 1 }} ]
""")
# The same identity batched (dynamic batching up to 64): check_values.py sends it concurrent requests with distinct
# data, so a batch's rows going through the device staging come back each to its own request.
write("identity_pt_b", torch.jit.script(Identity()), f"""platform: "pytorch_libtorch"
max_batch_size: 64
input [ {{ name: "INPUT__0" data_type: TYPE_FP32 dims: [ 16 ] }} ]
output [ {{ name: "OUTPUT__0" data_type: TYPE_FP32 dims: [ 16 ] }} ]
instance_group [ {{ kind: {kind} count: 1 }} ]
dynamic_batching {{ max_queue_delay_microseconds: 2000 }}
""")
# A batched identity with 256 KiB rows: its batches go through the stub's shared region (bodies of 64 KiB or
# more), so check_values.py checks the region's DMA to the device (and, past 4 MiB, the server's parallel write).
write("identity_pt_big", torch.jit.script(Identity()), f"""platform: "pytorch_libtorch"
max_batch_size: 64
input [ {{ name: "INPUT__0" data_type: TYPE_FP32 dims: [ 65536 ] }} ]
output [ {{ name: "OUTPUT__0" data_type: TYPE_FP32 dims: [ 65536 ] }} ]
instance_group [ {{ kind: {kind} count: 1 }} ]
dynamic_batching {{ max_queue_delay_microseconds: 2000 }}
""")
print(f"models written to {out}")
