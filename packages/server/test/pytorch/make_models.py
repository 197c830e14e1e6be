"""Writes the TorchScript models of the pytorch backend tests into argv[1] (one <name>.pt each), plus the conv
net's input and torch's own output for it (conv_in.f32, conv_out.f32: raw little-endian float32)."""
import os
import sys
from typing import Dict, List, Tuple

import torch

out = sys.argv[1]
torch.manual_seed(0)


class AddSub(torch.nn.Module):
    def forward(self, INPUT0: torch.Tensor, INPUT1: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        return INPUT0 + INPUT1, INPUT0 - INPUT1


class Minus(torch.nn.Module):
    # Argument names that no config uses: inputs bind by their __<index>.
    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return a - b


class Upper(torch.nn.Module):
    def forward(self, words: List[str]) -> List[str]:
        return [w.upper() + "!" for w in words]


class DictIn(torch.nn.Module):
    def forward(self, feeds: Dict[str, torch.Tensor]) -> torch.Tensor:
        return feeds["A"] * 2 + feeds["B"]


class Conv(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3, padding=1)
        self.fc = torch.nn.Linear(4 * 8 * 8, 5)

    def forward(self, x):
        return self.fc(torch.relu(self.conv(x)).flatten(1))


torch.jit.script(AddSub()).save(os.path.join(out, "add_sub.pt"))
torch.jit.script(Minus()).save(os.path.join(out, "minus.pt"))
torch.jit.script(Upper()).save(os.path.join(out, "upper.pt"))
torch.jit.script(DictIn()).save(os.path.join(out, "dict_in.pt"))
conv = Conv().eval()
x = torch.rand(3, 3, 8, 8)
traced = torch.jit.trace(conv, x)
traced.save(os.path.join(out, "conv.pt"))
with torch.no_grad():
    y = conv(x)
with open(os.path.join(out, "conv_in.f32"), "wb") as f:
    f.write(x.numpy().astype("<f4").tobytes())
with open(os.path.join(out, "conv_out.f32"), "wb") as f:
    f.write(y.numpy().astype("<f4").tobytes())
