"""Symmetry-discovery trainers on in-memory data.

The predictor is trained first on its task (Adam; `train_predictor`). Algebra
discovery then trains the Lie-algebra basis on the equivariance loss plus the
regularisers (Adam), one pass per epoch, with the predictor FROZEN (evaluation
mode, no weight gradients), and coset discovery trains K candidate matrices on the
same loss against the same frozen predictor: the algebra and the cosets are both
measured against the one predictor saved in predictor.pt. (The AtlasD reference
interleaves a predictor pass with every basis pass and retrains the predictor in
the coset step.)

`LocalTrainer`: inputs are fields (N, C, H, W) cut into the charts of an atlas;
every (sample, chart) draws its own g. `GlobalTrainer`: one chart = the whole
input (N, n, d), g acting linearly on its n vectors, invariant predictions.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from typing import Callable

import torch
from torch import nn
from tqdm import tqdm

from ..errors import InputError
from .charts import RESAMPLING, Atlas
from .cosets import CosetCandidates
from .equivariance_loss import TaskLoss, global_invariance_loss, l1_loss, local_equivariance_loss, reference_output
from .lie_algebra import GroupSample, LieAlgebraBasis

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Settings:
    """Hyper-parameters of the discovery loops; the defaults are the AtlasD paper's
    (the command-line defaults are read from here: one source of truth)."""

    batch_size: int = 16
    lr_predictor: float = 1e-3
    lr_basis: float = 5e-4
    lr_cosets: float = 5e-4
    r1: float = 0.05
    r2: float = 1.0
    r3: float = 0.35
    init_std: float = 0.02  # basis initialisation N(0, init_std²)
    candidate_chunk: int = 16  # coset candidates per forward/backward (gradients are accumulated)

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise InputError(f"batch_size must be >= 1, got {self.batch_size}")
        for key in ("lr_predictor", "lr_basis", "lr_cosets", "r2", "init_std"):
            if not getattr(self, key) > 0:
                raise InputError(f"{key} must be > 0, got {getattr(self, key)}")
        for key in ("r1", "r3"):
            if getattr(self, key) < 0:
                raise InputError(f"{key} must be >= 0, got {getattr(self, key)}")
        if self.candidate_chunk < 1:
            raise InputError(f"candidate_chunk must be >= 1, got {self.candidate_chunk}")

    def as_dict(self) -> dict:
        return asdict(self)


class SymmetryTrainer:
    """Shared loops; subclasses say what a chart view, a target and the equivariance loss are."""

    def __init__(self, predictor: nn.Module | Callable, settings: Settings, device: torch.device,
                 task_loss: TaskLoss = l1_loss, equivariance_loss: TaskLoss | None = None, logits: bool = False,
                 class_dim: int = -3):
        self.predictor, self.settings, self.device = predictor, settings, torch.device(device)
        self.task_loss = task_loss
        self.equivariance_loss = equivariance_loss if equivariance_loss is not None else task_loss
        self.logits, self.class_dim = logits, class_dim
        self.target_transform = None  # optional: applied to each batch of targets before the view
        self.trainable = isinstance(predictor, nn.Module) and any(p.requires_grad for p in predictor.parameters())
        self._weights = [p for p in predictor.parameters() if p.requires_grad] if self.trainable else []
        self.predictor_optimizer = (torch.optim.Adam(self._weights, lr=settings.lr_predictor)
                                    if self.trainable else None)

    # ---------------------------------------------------------- subclass hooks
    def view(self, inputs: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def target(self, targets: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def element_shape(self, view: torch.Tensor) -> tuple[int, ...]:
        raise NotImplementedError

    def equivariance(self, view: torch.Tensor, sample: GroupSample,
                     reference: torch.Tensor | None = None) -> torch.Tensor:
        """Per-sample equivariance loss (B,); `reference` = Φ(view) when already computed."""
        raise NotImplementedError

    def reference_output(self, view: torch.Tensor) -> torch.Tensor:
        return reference_output(self.predictor, view, self.logits, self.class_dim)

    def candidate_losses(self, view: torch.Tensor, matrices: torch.Tensor,
                         reference: torch.Tensor | None = None) -> torch.Tensor:
        """Mean equivariance loss of each candidate matrix (n, d, d) on one batch view: (n,).

        All candidates and charts go through one batched pass; Φ(x) (`reference`) is
        computed once per batch and shared by the candidates."""
        n, shape = len(matrices), self.element_shape(view)
        if reference is None:
            reference = self.reference_output(view)
        repeat = lambda t: t.repeat(n, *([1] * (t.dim() - 1)))  # noqa: E731
        g = matrices.reshape(n, *([1] * len(shape)), *matrices.shape[-2:]).expand(n, *shape, *matrices.shape[-2:])
        sample = GroupSample(g.reshape(n * shape[0], *shape[1:], *matrices.shape[-2:]), None, None)
        return self.equivariance(repeat(view), sample, repeat(reference)).reshape(n, -1).mean(1)

    # ------------------------------------------------------------------ helpers
    def _batches(self, n: int, generator: torch.Generator, desc: str):
        order = torch.randperm(n, generator=generator)
        batches = [order[i:i + self.settings.batch_size] for i in range(0, n, self.settings.batch_size)]
        return tqdm(batches, desc=desc, leave=False, disable=None)  # disabled when not on a terminal

    def _predictor_mode(self, train: bool) -> None:
        """Training mode for the predictor pass; evaluation mode without weight
        gradients while the basis or the candidates learn (Φ is then a fixed function)."""
        if isinstance(self.predictor, nn.Module):
            self.predictor.train(train)
            for p in self._weights:
                p.requires_grad_(train)

    def _on_device(self, tensor: torch.Tensor) -> torch.Tensor:
        """A batch on the device; compactly stored floats (e.g. float16) become float32."""
        tensor = tensor.to(self.device, non_blocking=True)
        return tensor.float() if tensor.is_floating_point() and tensor.dtype != torch.float32 else tensor

    # ---------------------------------------------------------------- predictor
    def predictor_epoch(self, inputs: torch.Tensor, targets: torch.Tensor, generator: torch.Generator) -> float:
        """One pass of task training; returns the mean task loss."""
        if not self.trainable:
            raise ValueError("this predictor has no trainable parameters")
        self._predictor_mode(True)
        total, count = 0.0, 0
        for index in self._batches(len(inputs), generator, "predictor"):
            y = self._on_device(targets[index])
            if self.target_transform is not None:  # e.g. compact class labels -> one-hot fields
                y = self.target_transform(y)
            x, y = self.view(self._on_device(inputs[index])), self.target(y)
            loss = self.task_loss(self.predictor(x), y).mean()
            self.predictor_optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.predictor_optimizer.step()
            total, count = total + float(loss.detach()) * len(index), count + len(index)
        self._predictor_mode(False)
        return total / count

    def train_predictor(self, inputs: torch.Tensor, targets: torch.Tensor, epochs: int,
                        generator: torch.Generator) -> list[dict]:
        history = []
        for epoch in range(epochs):
            t0 = time.perf_counter()
            loss = self.predictor_epoch(inputs, targets, generator)
            history.append({"epoch": epoch, "predictor_loss": loss, "seconds": time.perf_counter() - t0})
            log.info("predictor epoch %d/%d: task loss %.6f (%.1f s)", epoch + 1, epochs, loss,
                     history[-1]["seconds"])
        return history

    # -------------------------------------------------------------------- basis
    def basis_epoch(self, basis: LieAlgebraBasis, optimizer: torch.optim.Optimizer, inputs: torch.Tensor,
                    generator: torch.Generator) -> tuple[float, float]:
        """One pass of basis training; returns (mean equivariance loss, mean regularisation)."""
        self._predictor_mode(False)
        s = self.settings
        total, total_reg, count = 0.0, 0.0, 0
        for index in self._batches(len(inputs), generator, "basis"):
            view = self.view(self._on_device(inputs[index]))
            sample = basis.sample(self.element_shape(view), generator)
            loss = self.equivariance(view, sample).mean()
            reg = basis.regularization(s.r1, s.r2, s.r3)
            optimizer.zero_grad(set_to_none=True)
            (loss + reg).backward()
            optimizer.step()
            total += float(loss.detach()) * len(index)
            total_reg += float(reg.detach()) * len(index)
            count += len(index)
        return total / count, total_reg / count

    def discover_algebra(self, basis: LieAlgebraBasis, inputs: torch.Tensor, epochs: int,
                         generator: torch.Generator) -> list[dict]:
        """`epochs` basis passes against the frozen predictor; the per-epoch record of
        losses and basis. `basis_loss_per_norm` divides the equivariance loss by the
        mean ‖L_i‖_F: the loss grows with the size of the sampled transformations, which
        the magnitude reward keeps increasing, so the ratio is what shows progress."""
        optimizer = torch.optim.Adam(basis.parameters(), lr=self.settings.lr_basis)
        history = []
        for epoch in range(epochs):
            t0 = time.perf_counter()
            b_loss, reg = self.basis_epoch(basis, optimizer, inputs, generator)
            matrices = basis.basis.detach().cpu()
            norm = float(torch.linalg.matrix_norm(matrices).mean())
            history.append({"epoch": epoch, "basis_loss": b_loss, "regularization": reg, "basis_norm": norm,
                            "basis_loss_per_norm": b_loss / max(norm, 1e-12), "basis": matrices.tolist(),
                            "seconds": time.perf_counter() - t0})
            log.info("epoch %d/%d: equivariance loss %.6f, regularisation %.4f, mean ‖L‖ %.3f (%.1f s); basis %s",
                     epoch + 1, epochs, b_loss, reg, norm, history[-1]["seconds"],
                     matrices.numpy().round(4).tolist())
        return history

    # ------------------------------------------------------------------- cosets
    def coset_epoch(self, candidates: CosetCandidates, optimizer: torch.optim.Optimizer, inputs: torch.Tensor,
                    generator: torch.Generator) -> list[float]:
        """One pass of candidate training; returns each candidate's mean loss."""
        self._predictor_mode(False)
        n, chunk = len(candidates), self.settings.candidate_chunk
        totals, count = torch.zeros(n, dtype=torch.float64), 0
        for index in self._batches(len(inputs), generator, "cosets"):
            view = self.view(self._on_device(inputs[index]))
            reference = self.reference_output(view)
            optimizer.zero_grad(set_to_none=True)
            for start in range(0, n, chunk):  # mean over all candidates, accumulated chunk by chunk
                part = self.candidate_losses(view, candidates.matrices()[start:start + chunk], reference)
                (part.sum() / n).backward()
                totals[start:start + len(part)] += part.detach().double().cpu() * len(index)
            optimizer.step()
            count += len(index)
        return (totals / count).tolist()

    def discover_cosets(self, candidates: CosetCandidates, inputs: torch.Tensor, epochs: int,
                        generator: torch.Generator) -> list[dict]:
        optimizer = torch.optim.Adam(candidates.parameters(), lr=self.settings.lr_cosets)
        history = []
        for epoch in range(epochs):
            t0 = time.perf_counter()
            losses = self.coset_epoch(candidates, optimizer, inputs, generator)
            history.append({"epoch": epoch, "losses": losses, "seconds": time.perf_counter() - t0})
            log.info("coset epoch %d/%d: best loss %.6f, median %.6f (%.1f s)", epoch + 1, epochs, min(losses),
                     sorted(losses)[len(losses) // 2], history[-1]["seconds"])
        return history


class LocalTrainer(SymmetryTrainer):
    """Fields (N, C, H, W) on an atlas; the predictor maps chart patches to chart patches."""

    def __init__(self, atlas: Atlas, predictor, settings: Settings, device: torch.device,
                 task_loss: TaskLoss = l1_loss, equivariance_loss: TaskLoss | None = None, logits: bool = False,
                 in_mode: str = "bilinear", out_mode: str = "bilinear", class_dim: int = -3):
        super().__init__(predictor, settings, device, task_loss, equivariance_loss, logits, class_dim)
        for name, mode in (("input", in_mode), ("output", out_mode)):
            if mode not in RESAMPLING:
                raise InputError(f"{name} resampling must be one of {RESAMPLING}, got {mode!r}")
        self.atlas, self.in_mode, self.out_mode = atlas, in_mode, out_mode

    def view(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.atlas.extract(inputs)

    def target(self, targets: torch.Tensor) -> torch.Tensor:
        return self.atlas.extract(targets)  # the task is learned on whole in-radius patches

    def element_shape(self, view: torch.Tensor) -> tuple[int, ...]:
        return tuple(view.shape[:2])  # (B, K)

    def equivariance(self, view: torch.Tensor, sample: GroupSample,
                     reference: torch.Tensor | None = None) -> torch.Tensor:
        return local_equivariance_loss(self.predictor, view, sample, self.atlas.out_radius, self.equivariance_loss,
                                       self.logits, self.in_mode, self.out_mode, self.class_dim, reference)


class GlobalTrainer(SymmetryTrainer):
    """Inputs (N, n, d): one chart, g acting on the n vectors; invariant predictions."""

    def __init__(self, predictor, settings: Settings, device: torch.device, task_loss: TaskLoss = l1_loss,
                 equivariance_loss: TaskLoss | None = None, logits: bool = False, class_dim: int = -1):
        super().__init__(predictor, settings, device, task_loss, equivariance_loss, logits, class_dim)

    def view(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs

    def target(self, targets: torch.Tensor) -> torch.Tensor:
        return targets

    def element_shape(self, view: torch.Tensor) -> tuple[int, ...]:
        return (view.shape[0],)

    def equivariance(self, view: torch.Tensor, sample: GroupSample,
                     reference: torch.Tensor | None = None) -> torch.Tensor:
        return global_invariance_loss(self.predictor, view, sample.g, self.equivariance_loss, self.logits, reference)
