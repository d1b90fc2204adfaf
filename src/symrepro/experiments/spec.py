"""What an experiment of the discovery paper must say so that the generic AtlasD
engine (`symrepro.discovery`) can run it: `ExperimentSpec`.

The engine is experiment-agnostic: it trains `spec.predictor(view, **options)` on
`spec.load(path)` with `spec.task_loss`, learns a Lie algebra of d×d matrices
(d = `spec.dim`) that leaves the predictor equivariant on every chart of the view,
learns coset representatives, and writes the result as a `MatrixGroup`
(`group.json`) compared with `spec.reference()`.

Views:
* a local view is an atlas: an object with `extract(field (B, C, H, W)) -> (B, K, C, P, P)`,
  `__len__` (K charts), `in_radius` and `out_radius` (P = 2·in_radius + 1; equivariance
  is measured on the central (2·out_radius + 1)² window); `symrepro.discovery.charts.Atlas`
  (square charts at fractional centres) is one, any gather of chart pixels is another;
* `GLOBAL` is the one-chart view of global discovery: inputs (B, n, d), g acting on
  each of the n vectors, invariant predictions.

Contract of the callables (tensors on any device):
* `load(path) -> (inputs, targets)`: local: fields (N, C, H, W) float and target
  fields (N, C_out, H, W) float (class probabilities / one-hot for classifiers);
  global: inputs (N, n, d) float, targets (N,) long;
* `predictor(view, **options) -> nn.Module`: local: (B, K, C, P, P) -> (B, K, C_out, P, P);
  global: (B, n, d) -> (B, classes) logits; unknown option → InputError;
* `task_loss(prediction, target) -> (B,)` per-sample loss (targets as produced by
  `view.extract(targets)` for local views); `equivariance_loss` the same shape of
  function comparing Φ(g·x) with g·Φ(x) (after softmax when `logits`);
* `target_transform(batch_targets) -> targets` optional, applied per batch before the
  view (e.g. compact label maps (B, H, W) -> one-hot fields (B, C, H, W), so that the
  data set stays small in memory); inputs stored as float16 are cast per batch;
* `evaluate(predictor, view, inputs, targets) -> dict` optional metrics (accuracy…);
* `summary_extras(group) -> dict` optional readable extra columns of summary.csv.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

import torch

from ..symmetry import MatrixGroup

TaskLoss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


class GlobalView:
    """One chart = the whole input: inputs (B, n, d), g acts on every d-vector."""

    local = False
    out_radius = 0

    def __len__(self) -> int:
        return 1

    def extract(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs


GLOBAL = GlobalView()


@dataclass(frozen=True)
class ExperimentSpec:
    name: str
    description: str
    dim: int  # d: the discovered matrices are d×d
    acts_on: str  # what R^d is, written into group.json
    views: Mapping[str, Callable[[], object]]  # view name -> factory (an atlas or GLOBAL); first = default
    load: Callable[[str], tuple[torch.Tensor, torch.Tensor]]
    predictor: Callable[..., torch.nn.Module]
    task_loss: TaskLoss
    reference: Callable[[], MatrixGroup]
    equivariance_loss: TaskLoss | None = None  # default: task_loss
    logits: bool = False  # predictions are logits: softmax over `class_dim` before transforming
    class_dim: int = -3
    in_resampling: str = "bilinear"
    out_resampling: str = "bilinear"
    target_transform: Callable[[torch.Tensor], torch.Tensor] | None = None  # per batch, before the view
    evaluate: Callable[..., dict] | None = None
    summary_extras: Callable[[MatrixGroup], dict] | None = None
    extras: dict = field(default_factory=dict)  # anything experiment-specific the figure may use

    def view(self, name: str | None = None):
        names = list(self.views)
        if name is None or name == "":
            name = names[0]
        if name not in self.views:
            from ..errors import InputError

            raise InputError(f"experiment {self.name!r} has views {names}, not {name!r}")
        return self.views[name]()
