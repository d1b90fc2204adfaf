"""Trainers of symmetry discovery: per epoch one predictor pass (task loss, Adam)
and one basis pass (equivariance loss + regularisers, Adam); coset candidates are
trained the same way, one loss per candidate.

The geometry decides what a "chart" is: `LocalGeometry` cuts the patches of an
atlas and lets every (sample, chart) draw its own g; `GlobalGeometry` treats the
whole input (n vectors of R^d) as one chart with g acting on the vectors.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn
from tqdm import tqdm

from ..errors import InputError
from .charts import Atlas, crop
from .equivariance import global_pairs, local_pairs
from .lie_algebra import LieAlgebraBasis

log = logging.getLogger(__name__)

TaskLoss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # elementwise, reduced by the caller


def l1(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return (prediction - target).abs()


@dataclass(frozen=True)
class Settings:
    epochs: int
    batch_size: int = 16
    lr_predictor: float = 1e-3
    lr_basis: float = 5e-4
    r1: float = 0.05
    r2: float = 1.0
    r3: float = 0.35
    train_predictor: bool = True

    def __post_init__(self) -> None:
        if self.epochs < 0 or self.batch_size < 1:
            raise InputError(f"epochs must be >= 0 and batch_size >= 1, got {self.epochs}, {self.batch_size}")
        if self.lr_predictor <= 0 or self.lr_basis <= 0:
            raise InputError("learning rates must be > 0")


class LocalGeometry:
    def __init__(self, atlas: Atlas, in_mode: str = "bilinear", out_mode: str = "bilinear", logits: bool = False):
        self.atlas, self.in_mode, self.out_mode, self.logits = atlas, in_mode, out_mode, logits

    def view(self, fields: torch.Tensor) -> torch.Tensor:
        return self.atlas.extract(fields)

    def target(self, fields: torch.Tensor) -> torch.Tensor:
        return crop(self.atlas.extract(fields), self.atlas.out_radius)

    def output(self, prediction: torch.Tensor) -> torch.Tensor:
        return crop(prediction, self.atlas.out_radius)

    def element_shape(self, view: torch.Tensor) -> tuple[int, ...]:
        return tuple(view.shape[:2])  # (B, K)

    def pairs(self, predict, view: torch.Tensor, g: torch.Tensor):
        return local_pairs(predict, view, g, self.atlas.out_radius, self.logits, self.in_mode, self.out_mode)


class GlobalGeometry:
    def __init__(self, logits: bool = False):
        self.logits = logits

    def view(self, x: torch.Tensor) -> torch.Tensor:
        return x

    def target(self, y: torch.Tensor) -> torch.Tensor:
        return y

    def output(self, prediction: torch.Tensor) -> torch.Tensor:
        return prediction

    def element_shape(self, view: torch.Tensor) -> tuple[int, ...]:
        return (view.shape[0],)

    def pairs(self, predict, view: torch.Tensor, g: torch.Tensor):
        return global_pairs(predict, view, g, self.logits)


class Discovery:
    """Trains a predictor and discovers its symmetries on in-memory data."""

    def __init__(self, geometry, predictor: nn.Module | Callable, settings: Settings, device: torch.device,
                 task_loss: TaskLoss = l1, equivariance_loss: TaskLoss = l1):
        self.geometry, self.predictor, self.settings, self.device = geometry, predictor, settings, device
        self.task_loss, self.equivariance_loss = task_loss, equivariance_loss
        self.trainable = isinstance(predictor, nn.Module) and any(p.requires_grad for p in predictor.parameters())
        if self.trainable:
            self.predictor_optimizer = torch.optim.Adam(predictor.parameters(), lr=settings.lr_predictor)

    def _batches(self, n: int, generator: torch.Generator, desc: str):
        """Shuffled minibatch indices, with a progress bar on a terminal (not in log files)."""
        order = torch.randperm(n, generator=generator)
        batches = [order[i:i + self.settings.batch_size] for i in range(0, n, self.settings.batch_size)]
        return tqdm(batches, desc=desc, leave=False, disable=None)

    def _mode(self, train: bool) -> None:
        """Training mode for the predictor pass; evaluation mode, and no weight
        gradients, while the basis or the cosets learn (Φ is fixed there)."""
        if isinstance(self.predictor, nn.Module):
            self.predictor.train(train)
            if self.trainable:
                self.predictor.requires_grad_(train)

    # --------------------------------------------------------- predictor
    def predictor_epoch(self, inputs: torch.Tensor, targets: torch.Tensor, generator: torch.Generator) -> float:
        self._mode(True)
        losses = []
        for index in self._batches(len(inputs), generator, "predictor"):
            x = self.geometry.view(inputs[index].to(self.device))
            y = self.geometry.target(targets[index].to(self.device))
            loss = self.task_loss(self.geometry.output(self.predictor(x)), y).mean()
            self.predictor_optimizer.zero_grad()
            loss.backward()
            self.predictor_optimizer.step()
            losses.append(float(loss.detach()))
        return sum(losses) / len(losses)

    # ------------------------------------------------------------- basis
    def basis_epoch(self, basis: LieAlgebraBasis, optimizer: torch.optim.Optimizer, inputs: torch.Tensor,
                    generator: torch.Generator) -> tuple[float, float]:
        self._mode(False)
        s = self.settings
        losses, regs = [], []
        for index in self._batches(len(inputs), generator, "basis"):
            view = self.geometry.view(inputs[index].to(self.device))
            g = basis.sample(self.geometry.element_shape(view), generator)
            loss = self.equivariance_loss(*self.geometry.pairs(self.predictor, view, g)).mean()
            reg = basis.regularization(s.r1, s.r2, s.r3)
            optimizer.zero_grad()
            (loss + reg).backward()
            optimizer.step()
            losses.append(float(loss.detach()))
            regs.append(float(reg.detach()))
        return sum(losses) / len(losses), sum(regs) / len(regs)

    def discover_algebra(self, basis: LieAlgebraBasis, inputs: torch.Tensor, targets: torch.Tensor | None,
                         generator: torch.Generator) -> list[dict]:
        optimizer = torch.optim.Adam(basis.parameters(), lr=self.settings.lr_basis)
        history = []
        for epoch in range(self.settings.epochs):
            t0 = time.perf_counter()
            p_loss = (self.predictor_epoch(inputs, targets, generator)
                      if self.trainable and self.settings.train_predictor and targets is not None else math.nan)
            b_loss, reg = self.basis_epoch(basis, optimizer, inputs, generator)
            history.append({"epoch": epoch, "predictor_loss": p_loss, "basis_loss": b_loss, "regularization": reg,
                            "seconds": time.perf_counter() - t0})
            log.info("epoch %d/%d: predictor %.5f, basis %.5f, reg %.4f (%.1f s) basis %s", epoch + 1,
                     self.settings.epochs, p_loss, b_loss, reg, history[-1]["seconds"],
                     basis.basis.detach().cpu().numpy().round(3).tolist())
        return history

    # ------------------------------------------------------------ cosets
    def candidate_losses(self, candidates: torch.Tensor, view: torch.Tensor) -> torch.Tensor:
        """Mean equivariance loss of each candidate matrix (n, d, d) on one batch view."""
        n = len(candidates)
        shape = self.geometry.element_shape(view)
        repeated = view.repeat(n, *([1] * (view.dim() - 1)))
        g = candidates.reshape(n, *([1] * len(shape)), *candidates.shape[-2:]).expand(n, *shape, *candidates.shape[-2:])
        g = g.reshape(n * shape[0], *shape[1:], *candidates.shape[-2:])
        elementwise = self.equivariance_loss(*self.geometry.pairs(self.predictor, repeated, g))
        return elementwise.reshape(n, -1).mean(1)

    def discover_cosets(self, candidates: "CosetCandidates", inputs: torch.Tensor, generator: torch.Generator) -> list[dict]:
        self._mode(False)
        optimizer = torch.optim.Adam(candidates.parameters(), lr=self.settings.lr_basis)
        history = []
        for epoch in range(self.settings.epochs):
            t0 = time.perf_counter()
            totals, batches = torch.zeros(len(candidates.raw)), 0
            for index in self._batches(len(inputs), generator, "cosets"):
                view = self.geometry.view(inputs[index].to(self.device))
                per_candidate = self.candidate_losses(candidates.normalized(), view)
                optimizer.zero_grad()
                per_candidate.mean().backward()
                optimizer.step()
                totals += per_candidate.detach().cpu()
                batches += 1
            history.append({"epoch": epoch, "losses": (totals / batches).tolist(), "seconds": time.perf_counter() - t0})
            log.info("coset epoch %d/%d: best loss %.5f (%.1f s)", epoch + 1, self.settings.epochs,
                     min(history[-1]["losses"]), history[-1]["seconds"])
        return history


class CosetCandidates(nn.Module):
    """n learnable d×d matrices, used normalised to |det| = 1."""

    def __init__(self, count: int, dim: int, generator: torch.Generator | None = None):
        super().__init__()
        self.raw = nn.Parameter(torch.randn(count, dim, dim, generator=generator))

    def normalized(self) -> torch.Tensor:
        det = torch.linalg.det(self.raw).abs().clamp_min(1e-12)
        return self.raw / det[:, None, None] ** (1 / self.raw.shape[-1])
