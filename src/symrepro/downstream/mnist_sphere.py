"""MNIST on a sphere, downstream: a 12-layer CNN whose kernel constraint is derived
from a symmetry group (group.json).

The CNN (`SphereCNN`): 12 layers of 5×5 convolutions (zero padding keeps the 120×60
size), widths 32, 32, 64, 64, 64, 32, 32, 32, 32, 16, 16, 11 (all but the last
multiplied by `--width-scale`), dilations 1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 1, 1; every
layer convolution → LeakyReLU → BatchNorm. Loss: cross-entropy with background weight
0.005; Adam 1e-3; accuracy = argmax over the 11 classes on digit pixels only.

Kernel constraint (`kernel_symmetry`): the group must act on the image plane (d = 2).
If it contains a rotation — its Lie algebra contains J = [[0, −1], [1, 0]] within a
relative residual `--tolerance`, or a discrete generator is a 90° rotation — the
kernels are tied to the rotations of the pixel grid inside that group, the four
rotations by multiples of 90° (C4): every kernel is the average of its four rot90s,
which makes the network exactly equivariant to rot90 of a square input. Otherwise
the kernels are plain. Variants: `baseline` (no group: plain) and `discovered`
(`--group group.json`).

Parameter counts: `parameters` counts every weight; `effective_parameters` counts a
C4-tied 5×5 kernel as its 7 orbits (1 centre + 24/4), i.e. 435,281 and 122,801 at
paper width.
"""

from __future__ import annotations

import argparse
import logging
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ..atomic import write_json
from ..datasets import mnist_sphere as data
from ..device import select_device, set_threads
from ..errors import InputError
from ..symmetry import MatrixGroup
from ..symmetry.lie import J

log = logging.getLogger(__name__)

WIDTHS = (32, 32, 64, 64, 64, 32, 32, 32, 32, 16, 16, data.CLASSES)
DILATIONS = (1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 1, 1)
KERNEL = 5
BACKGROUND_WEIGHT = 0.005
ROT90 = np.array([[0.0, -1.0], [1.0, 0.0]])


def kernel_symmetry(group: MatrixGroup | None, tolerance: float = 0.15) -> str:
    """"c4" if the group contains a rotation of the image plane, else "plain"."""
    if group is None:
        return "plain"
    if group.dim != 2:
        raise InputError(f"group {group.name!r} acts on R^{group.dim}; the sphere CNN needs a group on the image plane (d = 2)")
    if len(group.lie_algebra) and group.contains_generator(J, tolerance):
        return "c4"
    for g in group.discrete_generators:
        if np.allclose(g, ROT90, atol=tolerance) or np.allclose(g, ROT90.T, atol=tolerance):
            return "c4"
    return "plain"


def c4_orbits(size: int) -> int:
    """Number of orbits of the rot90 action on a size×size kernel."""
    index = np.arange(size * size).reshape(size, size)
    seen = np.minimum.reduce([np.rot90(index, k) for k in range(4)])
    return len(np.unique(seen))


class SymmetricConv(nn.Module):
    """5×5 convolution (padding keeps the size) → LeakyReLU → BatchNorm, kernel plain or C4-averaged."""

    def __init__(self, cin: int, cout: int, dilation: int, symmetry: str):
        super().__init__()
        if symmetry not in ("plain", "c4"):
            raise ValueError(f"kernel symmetry must be plain or c4, got {symmetry!r}")
        conv = nn.Conv2d(cin, cout, KERNEL)  # PyTorch's default initialisation
        self.weight, self.bias = conv.weight, conv.bias
        self.dilation, self.symmetry = dilation, symmetry
        self.norm = nn.BatchNorm2d(cout)

    def kernel(self) -> torch.Tensor:
        if self.symmetry == "plain":
            return self.weight
        return sum(torch.rot90(self.weight, k, dims=(-2, -1)) for k in range(4)) / 4

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pad = (KERNEL // 2) * self.dilation
        return self.norm(F.leaky_relu(F.conv2d(x, self.kernel(), self.bias, padding=pad, dilation=self.dilation)))

    def effective_parameters(self) -> int:
        per_kernel = c4_orbits(KERNEL) if self.symmetry == "c4" else KERNEL * KERNEL
        kernels = self.weight.shape[0] * self.weight.shape[1]
        return kernels * per_kernel + self.bias.numel() + sum(p.numel() for p in self.norm.parameters())


class SphereCNN(nn.Module):
    def __init__(self, symmetry: str = "plain", width_scale: float = 1.0):
        super().__init__()
        if width_scale <= 0:
            raise InputError(f"--width-scale must be > 0, got {width_scale}")
        widths = [max(1, round(w * width_scale)) for w in WIDTHS[:-1]] + [WIDTHS[-1]]
        cins = [1] + widths[:-1]
        self.symmetry = symmetry
        self.layers = nn.Sequential(*(SymmetricConv(i, o, d, symmetry) for i, o, d in zip(cins, widths, DILATIONS)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)

    def parameters_count(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def effective_parameters(self) -> int:
        return sum(layer.effective_parameters() for layer in self.layers)


def loss_fn(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    weights = torch.ones(data.CLASSES, device=logits.device)
    weights[data.BACKGROUND] = BACKGROUND_WEIGHT
    return F.cross_entropy(logits, labels, weight=weights)


def digit_hits(logits: torch.Tensor, labels: torch.Tensor) -> tuple[int, int]:
    digit = labels != data.BACKGROUND
    return int((logits.argmax(1)[digit] == labels[digit]).sum()), int(digit.sum())


def _tensors(path, limit: int | None):
    images, labels = data.load(path)
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    return torch.from_numpy(images), torch.from_numpy(labels)


@torch.no_grad()
def accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, device, batch_size: int = 64) -> float:
    model.eval()
    hits = total = 0
    for start in range(0, len(images), batch_size):
        x = images[start:start + batch_size].to(device).float() / 255
        h, t = digit_hits(model(x), labels[start:start + batch_size].to(device).long())
        hits, total = hits + h, total + t
    return hits / max(total, 1)


@torch.no_grad()
def recalibrate_batch_norm(model: nn.Module, images: torch.Tensor, device, samples: int = 256,
                           batch_size: int = 32) -> None:
    """Replace the BatchNorm running statistics by their average (over batches) on the first
    `samples` training images under the current weights ("precise BN"). The running
    averages lag behind fast-changing weights and, compounded over 12 layers, make
    evaluation-mode accuracy of a briefly trained net collapse to chance."""
    norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    momenta = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative average
    model.train()
    for start in range(0, min(samples, len(images)), batch_size):
        model(images[start:start + batch_size].to(device).float() / 255)
    for m, momentum in zip(norms, momenta):
        m.momentum = momentum


def train(variant: str, group: MatrixGroup | None, train_path, test_path, *, val_path=None, epochs: int,
          width_scale: float, batch_size: int = 16, lr: float = 1e-3, seed: int = 0, max_train: int | None = None,
          max_test: int | None = None, tolerance: float = 0.15, device: str = "auto",
          threads: int | None = None, recalibrate: int = 256) -> dict:
    if variant not in ("baseline", "discovered"):
        raise InputError(f"--variant must be baseline or discovered, got {variant!r}")
    if variant == "discovered" and group is None:
        raise InputError("--variant discovered needs --group group.json")
    if variant == "baseline" and group is not None:
        raise InputError("--variant baseline uses plain kernels and takes no --group")
    if epochs < 1 or batch_size < 1:
        raise InputError(f"--epochs and --batch-size must be >= 1, got {epochs}, {batch_size}")
    set_threads(threads)
    chosen = select_device(device)
    torch.manual_seed(seed)
    order_rng = torch.Generator().manual_seed(seed)
    symmetry = kernel_symmetry(group, tolerance)
    model = SphereCNN(symmetry, width_scale).to(chosen)
    x_train, y_train = _tensors(train_path, max_train)
    x_test, y_test = _tensors(test_path, max_test)
    val = _tensors(val_path, max_test) if val_path else None
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = []
    for epoch in range(epochs):
        t0 = time.perf_counter()
        model.train()
        hits = total = 0
        loss_sum = 0.0
        for index in torch.randperm(len(x_train), generator=order_rng).split(batch_size):
            x = x_train[index].to(chosen).float() / 255
            y = y_train[index].to(chosen).long()
            logits = model(x)
            loss = loss_fn(logits, y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            h, t = digit_hits(logits.detach(), y)
            hits, total, loss_sum = hits + h, total + t, loss_sum + float(loss.detach()) * len(index)
        if recalibrate:
            recalibrate_batch_norm(model, x_train, chosen, recalibrate)
        seconds = time.perf_counter() - t0
        row = {"epoch": epoch, "loss": loss_sum / len(x_train), "train_accuracy": hits / max(total, 1),
               "test_accuracy": accuracy(model, x_test, y_test, chosen), "train_seconds": seconds}
        if val is not None:
            row["val_accuracy"] = accuracy(model, *val, chosen)
        history.append(row)
        log.info("%s epoch %d/%d: %s", variant, epoch + 1, epochs, {k: round(v, 4) for k, v in row.items()})
    return {"format": "symrepro.downstream.mnist_sphere/1", "variant": variant, "kernel_symmetry": symmetry,
            "group": None if group is None else group.name, "group_metadata": None if group is None else group.metadata,
            "width_scale": width_scale, "seed": seed, "epochs": epochs, "batch_size": batch_size, "lr": lr,
            "batch_norm_recalibration_samples": recalibrate,
            "train_samples": len(x_train), "test_samples": len(x_test),
            "parameters": model.parameters_count(), "effective_parameters": model.effective_parameters(),
            "final_train_accuracy": history[-1]["train_accuracy"], "final_test_accuracy": history[-1]["test_accuracy"],
            "final_val_accuracy": history[-1].get("val_accuracy"), "history": history}


def cmd_train(args: argparse.Namespace) -> None:
    group = MatrixGroup.read(args.group) if args.group else None
    metrics = train(args.variant, group, args.train, args.test, val_path=args.val, epochs=args.epochs,
                    width_scale=args.width_scale, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                    max_train=args.max_train, max_test=args.max_test, tolerance=args.tolerance,
                    device=args.device, threads=args.threads, recalibrate=args.recalibrate_bn)
    metrics.update({"train_file": str(args.train), "test_file": str(args.test), "group_file": args.group})
    write_json(args.out, metrics)


def register(parser: argparse.ArgumentParser) -> None:
    from .cli import add_training_arguments

    steps = parser.add_subparsers(dest="step", required=True, metavar="STEP")
    p = steps.add_parser("train", help="train and test the 12-layer sphere CNN (plain or group-tied kernels)")
    add_training_arguments(p, group_help="group.json whose rotations tie the kernels (discovered variant)",
                           train_help="training data (±60°)", test_help="test data (±180°)", epochs=100,
                           batch_size=16, tolerance_help="relative residual of J in the group's algebra")
    p.add_argument("--val", help="optional held-out data from the training distribution (±60°)")
    p.add_argument("--width-scale", type=float, default=1.0, help="multiplies all widths but the 11 classes")
    p.add_argument("--recalibrate-bn", type=int, default=256,
                   help="training images whose exact BatchNorm statistics replace the running ones after each epoch (0: off)")
    p.set_defaults(func=cmd_train)
    from .mnist_sphere_report import register as register_report

    register_report(steps)
