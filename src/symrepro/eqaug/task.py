"""A learning task of the dynamics paper: data in memory, its loss, and how a group
element acts on a sample (inputs always; targets too for segmentation).

Losses: `bce` (one logit per sample), `cross_entropy` (class logits), and
`segmentation_bce` (per-pixel masks, c target channels × N pixels: the sum over
channels of the per-pixel mean BCE, as BCE(triangle) + BCE(pentagon) in the
rotation experiment). Segmentation targets are transformed with the SAME group
element as their input."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..errors import InputError

LOSSES = ("bce", "cross_entropy", "segmentation_bce")


@dataclass
class Task:
    inputs: torch.Tensor  # (n, c·N) float32, channel-major
    targets: torch.Tensor  # (n,) float (bce), (n,) long (cross_entropy), (n, c_t·N) float (segmentation)
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

    @property
    def segmentation(self) -> bool:
        return self.loss == "segmentation_bce"

    def loss_sum(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Summed over samples (not averaged) loss of a chunk; the trainer divides by the total count."""
        if self.loss == "bce":
            return F.binary_cross_entropy_with_logits(logits.reshape(targets.shape), targets, reduction="sum")
        if self.loss == "segmentation_bce":
            return F.binary_cross_entropy_with_logits(logits, targets, reduction="sum") / self.degree
        return F.cross_entropy(logits, targets, reduction="sum")

    @staticmethod
    def _act(x: torch.Tensor, perms: torch.Tensor, degree: int) -> torch.Tensor:
        b = x.shape[0]
        x = x.view(b, -1, degree)
        return torch.gather(x, 2, perms[:, None, :].expand(-1, x.shape[1], -1)).reshape(b, -1)

    def transformed(self, index: torch.Tensor, perms: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Samples `index` (b,), each acted on by its own element `perms` (b, N) as
        x[..., perm]; segmentation targets get the same element."""
        x = self._act(self.inputs.index_select(0, index), perms, self.degree)
        y = self.targets.index_select(0, index)
        return x, (self._act(y, perms, self.degree) if self.segmentation else y)


def permutation_task(adjacency, label) -> Task:
    """Graphs: input = adjacency − 0.5 flattened (1 channel, N = V²), BCE on connectedness."""
    a = torch.as_tensor(adjacency, dtype=torch.float32)
    n, v, _ = a.shape
    return Task((a - 0.5).reshape(n, v * v), torch.as_tensor(label, dtype=torch.float32), "bce", 1, v * v)


def load_graph_task(path) -> Task:
    from ..datasets.stochastic_block import load

    return permutation_task(*load(path))


def load_digit_task(path) -> Task:
    """MNIST 14×14: input = image − 0.5 (1 channel, N = 196), cross-entropy on the digit."""
    from ..datasets.mnist import load_mnist14

    images, labels = load_mnist14(path)
    x = torch.as_tensor(images, dtype=torch.float32)
    n = x.shape[0]
    return Task((x - 0.5).reshape(n, -1), torch.as_tensor(labels, dtype=torch.long), "cross_entropy", 1, x[0].numel())


def load_shape_task(path) -> Task:
    """Simple shapes: input = image − 0.5; targets = (triangle, pentagon) masks per pixel."""
    from ..datasets.shapes import load_shapes

    data = load_shapes(path)
    x = torch.as_tensor(data["images"], dtype=torch.float32)
    n, pixels = x.shape[0], x[0].numel()
    masks = torch.stack([torch.as_tensor(data["triangle"]), torch.as_tensor(data["pentagon"])], 1).float()
    return Task((x - 0.5).reshape(n, pixels), masks.reshape(n, 2 * pixels), "segmentation_bce", 1, pixels)


# data kind -> loader of a Task from the dataset's HDF5 file
TASK_LOADERS = {"graphs": load_graph_task, "digits": load_digit_task, "shapes": load_shape_task}


def load_task(kind: str, path) -> Task:
    if kind not in TASK_LOADERS:
        raise InputError(f"unknown task {kind!r}; known tasks: {sorted(TASK_LOADERS)}")
    return TASK_LOADERS[kind](path)
