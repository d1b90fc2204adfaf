"""Full-batch training in the three regimes, recording the distances per epoch.

One epoch is ONE plain SGD step on the gradient of the mean loss over the whole
dataset (the reference accumulates minibatch gradients divided by their count K,
which is the same quantity):

* equivariant: plain loss; the gradient of every constrained layer (the invariant
  one included) is projected onto E before the step, so the weights stay in E;
* augmented: mean loss over L passes, each sample transformed by a random group
  element (drawn per sample, or per minibatch of `batch_size` samples);
* nominal: plain loss, no projection, no augmentation.

The data are processed in chunks of `chunk_size` samples (a memory knob only: the
mathematics is full-batch, and the augmentation draws are made pass by pass, so the
same seed gives the same numbers for every chunk size up to float summation order),
against weights laid out as matrices once per step.

Recorded per epoch (epoch 0 = the start) and constrained layer: the plain
training loss at those weights (no augmentation, the same quantity for all three
regimes), ‖A_k − A_k⁰‖ and ‖A_k − P_E A_k‖ (Frobenius norms, float64).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Iterator

import torch

from ..errors import InputError
from ..symmetry import EquivariantProjection, PermutationGroup
from .architecture import Architecture, forward, from_matrix, to_matrix
from .task import Task

log = logging.getLogger(__name__)

REGIMES = ("equivariant", "augmented", "nominal")
AUGMENT_PER = ("sample", "batch")


@dataclass(frozen=True)
class Settings:
    epochs: int
    lr: float
    augment_passes: int = 25  # L
    augment_per: str = "sample"  # a fresh group element per sample, or per minibatch
    batch_size: int = 25  # minibatch size (granularity of per-batch augmentation)
    chunk_size: int = 5000  # samples per forward/backward: memory vs speed

    def __post_init__(self) -> None:
        for key in ("epochs", "augment_passes", "batch_size", "chunk_size"):
            value = getattr(self, key)
            if value < (0 if key == "epochs" else 1):
                raise InputError(f"train.{key} must be >= {0 if key == 'epochs' else 1}, got {value}")
        if not self.lr > 0:
            raise InputError(f"train.lr must be > 0, got {self.lr}")
        if self.augment_per not in AUGMENT_PER:
            raise InputError(f"train.augment_per must be one of {AUGMENT_PER}, got {self.augment_per!r}")


def regime_seed(seed: int, regime: str) -> int:
    """The augmentation stream of (seed, regime): independent of the other regimes."""
    return seed * 1_000_003 + REGIMES.index(regime) + 1


class Trainer:
    def __init__(self, arch: Architecture, task: Task, group: PermutationGroup, settings: Settings,
                 device: torch.device):
        if group.degree != arch.degree or task.degree != arch.degree:
            raise InputError(f"group degree {group.degree}, data degree {task.degree} and model degree "
                             f"{arch.degree} must agree")
        if task.channels != arch.channels[0]:
            raise InputError(f"data have {task.channels} input channels, model.channels starts with {arch.channels[0]}")
        self.arch, self.group, self.settings, self.device = arch, group, settings, device
        self.task = task.to(device)
        self.projection = EquivariantProjection(group)

    # ------------------------------------------------------------ chunking
    def _plain_chunks(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        n, size = len(self.task), self.settings.chunk_size
        for start in range(0, n, size):
            yield self.task.inputs[start:start + size], self.task.targets[start:start + size]

    def draw_elements(self, passes: int, generator: torch.Generator) -> torch.Tensor:
        """Group elements (passes·n, N) for `passes` passes over the n samples:
        one per sample, or one shared by each minibatch of `batch_size` samples.

        The stream is drawn pass by pass (one `sample` call per pass), so the
        elements of pass p depend only on the seed, the regime and the passes before
        it — never on how many passes are grouped into a chunk."""
        s, n = self.settings, len(self.task)
        if s.augment_per == "sample":
            return torch.cat([self.group.sample(n, generator) for _ in range(passes)])
        batches = math.ceil(n / s.batch_size)
        batch_of = torch.arange(n) // s.batch_size
        return torch.cat([self.group.sample(batches, generator)[batch_of] for _ in range(passes)])

    def _augmented_chunks(self, generator: torch.Generator) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        s, n = self.settings, len(self.task)
        per_block = max(1, s.chunk_size // n)  # whole passes per block when the data set is small
        for first in range(0, s.augment_passes, per_block):
            passes = min(per_block, s.augment_passes - first)
            perms = self.draw_elements(passes, generator).to(self.device)
            index = torch.arange(n, device=self.device).repeat(passes)
            for start in range(0, passes * n, s.chunk_size):
                yield self.task.transformed(index[start:start + s.chunk_size], perms[start:start + s.chunk_size])

    def _accumulate(self, chunks, total: int, mats, head, backward: bool) -> float:
        """Mean loss over `total` samples streamed by `chunks`; gradients accumulate."""
        loss_sum = 0.0
        with torch.set_grad_enabled(backward):
            for x, y in chunks:
                loss = self.task.loss_sum(forward(self.arch, x, mats, head), y) / total
                if backward:
                    loss.backward()
                loss_sum += float(loss.detach())
        return loss_sum

    # ------------------------------------------------------------- training
    def run(self, init_state: dict[str, torch.Tensor], regime: str, seed: int) -> list[dict]:
        if regime not in REGIMES:
            raise InputError(f"unknown regime {regime!r}; regimes are {REGIMES}")
        self.arch.check_state(init_state, "initial state")
        shapes = self.arch.constrained_shapes
        params = {k: v.detach().to(self.device, torch.float32).clone() for k, v in init_state.items()}
        start = {k: v.to(torch.float64) for k, v in params.items() if k.startswith("layers.")}
        generator = torch.Generator().manual_seed(regime_seed(seed, regime))
        n, s = len(self.task), self.settings
        rows: list[dict] = []
        for epoch in range(s.epochs + 1):
            t0 = time.perf_counter()
            step = epoch < s.epochs
            mats = [to_matrix(params[f"layers.{k}"]).detach().requires_grad_(step) for k in range(len(shapes))]
            head = [params[f"head.{k}"].detach().requires_grad_(step) for k in range(len(self.arch.head_shapes))]
            if regime == "augmented":
                loss = self._accumulate(self._plain_chunks(), n, mats, head, backward=False)
                if step:
                    self._accumulate(self._augmented_chunks(generator), s.augment_passes * n, mats, head, backward=True)
            else:
                loss = self._accumulate(self._plain_chunks(), n, mats, head, backward=step)
            if not math.isfinite(loss):
                raise FloatingPointError(f"{regime}: the loss became {loss} at epoch {epoch}; lower train.lr")
            for k in range(len(shapes)):
                a = params[f"layers.{k}"]
                rows.append({
                    "epoch": epoch, "layer": k, "loss": loss,
                    "dist_from_init": float(torch.linalg.vector_norm(a.to(torch.float64) - start[f"layers.{k}"])),
                    "dist_from_E": self.projection.distance(a),
                })
            if step:
                with torch.no_grad():
                    for k, shape in enumerate(shapes):
                        grad = from_matrix(mats[k].grad, shape)
                        if regime == "equivariant":
                            grad = self.projection(grad)
                        params[f"layers.{k}"] -= s.lr * grad
                    for k, w in enumerate(head):
                        params[f"head.{k}"] -= s.lr * w.grad
            total_e = math.sqrt(sum(r["dist_from_E"] ** 2 for r in rows[-len(shapes):]))
            log.info("%s epoch %d/%d loss %.6f dist_from_E %.3e (%.2f s)", regime, epoch, s.epochs, loss, total_e,
                     time.perf_counter() - t0)
        self.final_state = {k: v.cpu() for k, v in params.items()}
        return rows
