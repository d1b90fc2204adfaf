"""The MLP family of the dynamics paper, as plain tensors.

Features are c channels × N indices that the group permutes. Parameters (a state
dict, the interface of `init.pt`):

* ``layers.{k}`` for the group-constrained layers: the equivariant layers
  (c_out, c_in, N, N), then — for invariant networks — the invariant layer
  (m, c, 1, N);
* ``head.{k}`` for the unconstrained head, (out, in) like ``nn.Linear`` (no bias).

Forward: LeakyReLU after every equivariant layer; after the invariant layer an
activation (LeakyReLU or tanh), an optional LayerNorm without affine parameters,
then the head with LeakyReLU between its layers. The network returns logits
(sigmoid / softmax are part of the loss). An equivariant-to-the-end network
(`invariant_width: null`) returns its last constrained layer's (c_last, N) output.

For speed the training code multiplies by *laid-out* matrices: an equivariant
layer becomes W (c_in·N, c_out·N) and the invariant one (c·N, m), so a batch of
flattened features x (B, c·N) goes through a plain ``x @ W``. The layout is made
once per optimisation step, not once per minibatch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from ..errors import InputError

ACTIVATIONS = {"leaky_relu": F.leaky_relu, "tanh": torch.tanh, "none": lambda x: x}


@dataclass(frozen=True)
class Architecture:
    degree: int  # N
    channels: tuple[int, ...]  # (c_0 = input channels, c_1, ..., c_K)
    invariant_width: int | None = None  # m; None: equivariant to the end
    invariant_activation: str = "leaky_relu"
    layer_norm: bool = True
    head: tuple[int, ...] = field(default_factory=tuple)  # widths after the invariant layer
    init_fan: str = "in_out"  # std of layer k: 1/(n·sqrt(c_in·c_out)) or 1/(n·sqrt(c_in))

    def __post_init__(self) -> None:
        if len(self.channels) < 2 or min(self.channels) < 1:
            raise InputError(f"model.channels needs >= 2 positive entries, got {list(self.channels)}")
        if self.invariant_width is not None and self.invariant_width < 1:
            raise InputError(f"model.invariant_width must be >= 1, got {self.invariant_width}")
        if self.invariant_width is None and self.head:
            raise InputError("model.head needs an invariant layer (model.invariant_width)")
        if self.invariant_activation not in ACTIVATIONS:
            raise InputError(f"model.invariant_activation must be one of {sorted(ACTIVATIONS)}")
        if self.init_fan not in ("in_out", "in"):
            raise InputError(f"model.init_fan must be 'in_out' or 'in', got {self.init_fan!r}")

    # ------------------------------------------------------------- shapes
    @property
    def constrained_shapes(self) -> list[tuple[int, ...]]:
        n = self.degree
        shapes = [(co, ci, n, n) for ci, co in zip(self.channels[:-1], self.channels[1:])]
        if self.invariant_width is not None:
            shapes.append((self.invariant_width, self.channels[-1], 1, n))
        return shapes

    @property
    def head_shapes(self) -> list[tuple[int, int]]:
        if self.invariant_width is None:
            return []
        widths = (self.invariant_width, *self.head)
        return [(o, i) for i, o in zip(widths[:-1], widths[1:])]

    def check_state(self, state: dict[str, torch.Tensor], where: str) -> None:
        expected = {f"layers.{k}": s for k, s in enumerate(self.constrained_shapes)}
        expected |= {f"head.{k}": s for k, s in enumerate(self.head_shapes)}
        if set(state) != set(expected):
            raise InputError(f"{where}: parameters {sorted(state)} do not match the architecture {sorted(expected)}")
        for key, shape in expected.items():
            if tuple(state[key].shape) != shape:
                raise InputError(f"{where}: {key} has shape {tuple(state[key].shape)}, the architecture needs {shape}")

    # --------------------------------------------------------------- init
    def initial_state(self, generator: torch.Generator) -> dict[str, torch.Tensor]:
        """Gaussian weights with the reference's scales (before projection onto E)."""
        n = math.sqrt(self.degree)
        state: dict[str, torch.Tensor] = {}
        for k, (co, ci, rows, cols) in enumerate(self.constrained_shapes):
            if rows == 1:  # invariant layer: constant over indices, std 1/sqrt(m)
                w = torch.randn(co, ci, 1, 1, generator=generator) / math.sqrt(co)
                state[f"layers.{k}"] = w.expand(co, ci, 1, cols).contiguous()
            else:
                fan = ci * co if self.init_fan == "in_out" else ci
                state[f"layers.{k}"] = torch.randn(co, ci, rows, cols, generator=generator) / (n * math.sqrt(fan))
        for k, (o, i) in enumerate(self.head_shapes):
            state[f"head.{k}"] = torch.randn(o, i, generator=generator) * (n / i)
        return state


# ---------------------------------------------------------------- layout
def to_matrix(a: torch.Tensor) -> torch.Tensor:
    """(c_out, c_in, R, N) -> (c_in·N, c_out·R) so that y = x @ W."""
    co, ci, r, n = a.shape
    return a.permute(1, 3, 0, 2).reshape(ci * n, co * r)


def from_matrix(w: torch.Tensor, shape: tuple[int, ...]) -> torch.Tensor:
    """Inverse of `to_matrix`."""
    co, ci, r, n = shape
    return w.reshape(ci, n, co, r).permute(2, 0, 3, 1)


def forward(arch: Architecture, x: torch.Tensor, mats: list[torch.Tensor], head: list[torch.Tensor]) -> torch.Tensor:
    """x (B, c_0·N) flattened channel-major -> logits (B, out) or (B, c_K·N)."""
    n_equivariant = len(arch.channels) - 1
    h = x
    for k in range(n_equivariant):
        h = h @ mats[k]
        if k < n_equivariant - 1 or arch.invariant_width is not None:
            h = F.leaky_relu(h)
    if arch.invariant_width is None:
        return h
    h = ACTIVATIONS[arch.invariant_activation](h @ mats[n_equivariant])
    if arch.layer_norm:
        h = F.layer_norm(h, h.shape[-1:])
    for k, w in enumerate(head):
        h = h @ w.T
        if k < len(head) - 1:
            h = F.leaky_relu(h)
    return h
