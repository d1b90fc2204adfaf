"""Time one epoch of each regime and compare the achieved FLOP rate with this
machine's own fp32 matmul rate, measured in the same run.

The FLOP count is analytic (multiply-adds × 2 of the dense layers): forward, the
weight gradients of every layer and the input gradients of every layer but the
first; the augmented epoch also evaluates the plain loss (one forward pass).
"""

from __future__ import annotations

import time

import torch

from ..symmetry import PermutationGroup
from .architecture import Architecture
from .starting_point import equivariant_start
from .task import Task
from .training import REGIMES, Settings, Trainer


def layer_sizes(arch: Architecture) -> list[tuple[int, int]]:
    """(inputs, outputs) of every dense map applied to one sample."""
    n = arch.degree
    sizes = [(ci * n, co * n) for ci, co in zip(arch.channels[:-1], arch.channels[1:])]
    if arch.invariant_width is not None:
        sizes.append((arch.channels[-1] * n, arch.invariant_width))
        sizes += [(i, o) for o, i in arch.head_shapes]
    return sizes


def flops_per_sample(arch: Architecture, backward: bool) -> int:
    sizes = layer_sizes(arch)
    forward = sum(2 * i * o for i, o in sizes)
    if not backward:
        return forward
    return forward + forward + sum(2 * i * o for i, o in sizes[1:])


def epoch_flops(arch: Architecture, regime: str, n: int, passes: int) -> int:
    if regime == "augmented":
        return n * flops_per_sample(arch, False) + passes * n * flops_per_sample(arch, True)
    return n * flops_per_sample(arch, True)


def matmul_rate(size: int = 4096, repeats: int = 3) -> float:
    """Best fp32 GFLOP/s of a size³ matmul on this machine."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    a @ b
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t0)
    return 2 * size**3 / best / 1e9


def random_task(arch: Architecture, n: int, seed: int) -> Task:
    """Random inputs with targets of the kind the architecture's output calls for."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(n, arch.channels[0] * arch.degree, generator=gen) - 0.5
    outputs = layer_sizes(arch)[-1][1]
    if arch.invariant_width is None:
        y, loss = (torch.rand(n, outputs, generator=gen) > 0.5).float(), "segmentation_bce"
    elif outputs == 1:
        y, loss = (torch.rand(n, generator=gen) > 0.5).float(), "bce"
    else:
        y, loss = torch.randint(outputs, (n,), generator=gen), "cross_entropy"
    return Task(x, y, loss, arch.channels[0], arch.degree)


def run(arch: Architecture, group: PermutationGroup, n: int, settings: Settings, device: torch.device,
        seed: int = 0) -> list[dict]:
    """One timed epoch (a step, after one untimed warm-up step) per regime."""
    task = random_task(arch, n, seed)
    start = equivariant_start(arch, group, seed)
    rows = []
    for regime in REGIMES:
        trainer = Trainer(arch, task, group, Settings(**{**settings.__dict__, "epochs": 1}), device)
        trainer.run(start, regime, seed)  # warm-up: allocator, thread pool, kernels
        t0 = time.perf_counter()
        trainer.run(start, regime, seed)  # epochs 0 (loss+grad+step) and 1 (loss only)
        seconds = time.perf_counter() - t0
        flops = epoch_flops(arch, regime, n, settings.augment_passes) + n * flops_per_sample(arch, False)
        rows.append({"regime": regime, "seconds": seconds, "gflop": flops / 1e9, "gflops": flops / seconds / 1e9})
    return rows
