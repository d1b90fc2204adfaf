"""A learning task of the dynamics paper: data in memory, its loss, and how a group
element acts on a sample (inputs always; targets too for segmentation)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..errors import InputError

LOSSES = ("bce", "cross_entropy")


@dataclass
class Task:
    inputs: torch.Tensor  # (n, c·N) float32, channel-major
    targets: torch.Tensor  # (n,) float (bce) or long (cross_entropy)
    loss: str
    channels: int  # c of the inputs
    degree: int  # N

    def __post_init__(self) -> None:
        if self.loss not in LOSSES:
            raise InputError(f"loss must be one of {LOSSES}, got {self.loss!r}")
        if self.inputs.shape[1] != self.channels * self.degree:
            raise InputError(f"inputs have {self.inputs.shape[1]} features, expected {self.channels}×{self.degree}")

    def __len__(self) -> int:
        return self.inputs.shape[0]

    def to(self, device: torch.device) -> "Task":
        return Task(self.inputs.to(device), self.targets.to(device), self.loss, self.channels, self.degree)

    def loss_sum(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Summed (not averaged) loss of a chunk; the trainer divides by the total count."""
        if self.loss == "bce":
            return F.binary_cross_entropy_with_logits(logits.reshape(targets.shape), targets, reduction="sum")
        return F.cross_entropy(logits, targets, reduction="sum")

    def transformed_inputs(self, index: torch.Tensor, perms: torch.Tensor) -> torch.Tensor:
        """Inputs `index` (b,) each acted on by its own element `perms` (b, N): x[..., perm]."""
        x = self.inputs.index_select(0, index).view(len(index), self.channels, self.degree)
        return torch.gather(x, 2, perms[:, None, :].expand(-1, self.channels, -1)).reshape(len(index), -1)


def permutation_task(adjacency, label) -> Task:
    """Graphs: input = adjacency − 0.5 flattened (1 channel, N = V²), BCE on connectedness."""
    a = torch.as_tensor(adjacency, dtype=torch.float32)
    n, v, _ = a.shape
    return Task((a - 0.5).reshape(n, v * v), torch.as_tensor(label, dtype=torch.float32), "bce", 1, v * v)


def load_graph_task(path) -> Task:
    from ..datasets.stochastic_block import load

    return permutation_task(*load(path))


# data kind -> loader of a Task from the dataset's HDF5 file
TASK_LOADERS = {"graphs": load_graph_task}


def load_task(kind: str, path) -> Task:
    if kind not in TASK_LOADERS:
        raise InputError(f"unknown task {kind!r}; known tasks: {sorted(TASK_LOADERS)}")
    return TASK_LOADERS[kind](path)
