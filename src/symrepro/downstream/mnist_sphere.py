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
rotations by multiples of 90° (C4). Otherwise the kernels are plain. Variants:
`baseline` (no group: plain) and `discovered` (`--group group.json`).

How C4 ties the kernels (`--tying`; both are exactly equivariant to rot90 of the input):

* `average` (the paper's): every kernel is the average of its four rot90s, i.e. a
  rotation-invariant kernel; the feature maps are invariant fields;
* `regular`: a C4 group convolution (Cohen & Welling's p4 layers, rotations only).
  The first layer lifts the image to 4 orientations with the 4 rot90s of each
  kernel; every later layer maps (C_in, 4) to (C_out, 4) with one kernel bank per
  (C_out, C_in, 4) rotated and cyclically shifted per output orientation;
  LeakyReLU and BatchNorm are shared by the 4 orientations of a channel; the logits
  are the mean over the orientations of the last layer's convolution (no LeakyReLU
  and BatchNorm there), and the biases start at zero: with PyTorch's uniform bias
  initialisation, or with LeakyReLU → BatchNorm after the last layer as in the plain
  network, it learned 2–3× slower (measured, quick data: 0.15–0.27 on ±60° after two
  epochs against 0.67). A layer has half the plain
  width per orientation, so a hidden layer has exactly as many free weights as the
  plain one (4·(C/2)²·25 = C²·25) and twice its feature maps. Why offered: the
  invariant fields of `average` cannot carry orientation, and at the quick scale
  (width ¼, 1500 samples, a few epochs) such a network learned too slowly to reach
  the task (measured: 70 % on ±60° after 9 epochs, still rising 1 point per epoch,
  against 45 % after ONE epoch and 67 % after two for `regular`).

Parameter counts: `parameters` counts every weight; `effective_parameters` counts a
C4-averaged 5×5 kernel as its 7 orbits (1 centre + 24/4), i.e. 435,281 and 122,801
at paper width (`average`); a `regular` network's weights are all free, so its two
counts agree.
"""

from __future__ import annotations

import argparse
import logging
import math
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
from .schedule import check_schedule, set_epoch_rate

log = logging.getLogger(__name__)

WIDTHS = (32, 32, 64, 64, 64, 32, 32, 32, 32, 16, 16, data.CLASSES)
DILATIONS = (1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 1, 1)
KERNEL = 5
BACKGROUND_WEIGHT = 0.005
ROT90 = np.array([[0.0, -1.0], [1.0, 0.0]])
TYINGS = ("average", "regular")


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


class C4RegularConv(nn.Module):
    """5×5 C4 group convolution → LeakyReLU → BatchNorm on fields (B, C·4, H, W), the 4
    orientations of channel c at c·4 … c·4 + 3 (`lifting`: the input is a plain image
    (B, C, H, W)). Rotating the input by 90° rotates the output and shifts its
    orientations cyclically by one. `last`: the mean over the orientations, without
    LeakyReLU and BatchNorm, is the output (the logits). Biases start at zero."""

    def __init__(self, cin: int, cout: int, dilation: int, lifting: bool, last: bool = False):
        super().__init__()
        shape = (cout, cin, KERNEL, KERNEL) if lifting else (cout, cin, 4, KERNEL, KERNEL)
        bound = 1 / math.sqrt(cin * KERNEL * KERNEL * (1 if lifting else 4))  # PyTorch's default weight scale
        self.weight = nn.Parameter(torch.empty(shape).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.zeros(cout))
        self.dilation, self.lifting, self.last = dilation, lifting, last
        self.norm = None if last else nn.BatchNorm2d(cout)

    def kernel(self) -> torch.Tensor:
        """The full (cout·4, cin·4 or cin, 5, 5) kernel: output orientation r uses the
        bank rotated by r·90° (and, after lifting, its input orientations shifted by r)."""
        w = self.weight
        if self.lifting:
            return torch.stack([torch.rot90(w, r, dims=(-2, -1)) for r in range(4)], 1).flatten(0, 1)
        banks = [torch.rot90(torch.roll(w, r, dims=2), r, dims=(-2, -1)) for r in range(4)]
        return torch.stack(banks, 1).flatten(2, 3).flatten(0, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pad = (KERNEL // 2) * self.dilation
        y = F.conv2d(x, self.kernel(), self.bias.repeat_interleave(4), padding=pad, dilation=self.dilation)
        b, c4, h, w = y.shape
        if self.last:  # the logits (B, C, H, W): the mean over the orientations
            return y.reshape(b, c4 // 4, 4, h, w).mean(2)
        y = F.leaky_relu(y)
        return self.norm(y.reshape(b, c4 // 4, 4 * h, w)).reshape(b, c4, h, w)  # statistics shared by orientations

    def effective_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())


class SphereCNN(nn.Module):
    def __init__(self, symmetry: str = "plain", width_scale: float = 1.0, tying: str = "average"):
        super().__init__()
        if width_scale <= 0:
            raise InputError(f"--width-scale must be > 0, got {width_scale}")
        if tying not in TYINGS:
            raise InputError(f"--tying must be one of {TYINGS}, got {tying!r}")
        self.symmetry = symmetry
        self.regular = symmetry == "c4" and tying == "regular"
        self.tying = tying if symmetry == "c4" else None
        scale = width_scale / 2 if self.regular else width_scale  # regular: half the channels per orientation
        widths = [max(1, round(w * scale)) for w in WIDTHS[:-1]] + [WIDTHS[-1]]
        cins = [1] + widths[:-1]
        if self.regular:
            layers = (C4RegularConv(i, o, d, k == 0, k == len(widths) - 1)
                      for k, (i, o, d) in enumerate(zip(cins, widths, DILATIONS)))
        else:
            layers = (SymmetricConv(i, o, d, symmetry) for i, o, d in zip(cins, widths, DILATIONS))
        self.layers = nn.Sequential(*layers)

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
          threads: int | None = None, recalibrate: int = 256, tying: str = "average",
          lr_schedule: str = "constant") -> dict:
    if variant not in ("baseline", "discovered"):
        raise InputError(f"--variant must be baseline or discovered, got {variant!r}")
    if variant == "discovered" and group is None:
        raise InputError("--variant discovered needs --group group.json")
    if variant == "baseline" and group is not None:
        raise InputError("--variant baseline uses plain kernels and takes no --group")
    if epochs < 1 or batch_size < 1:
        raise InputError(f"--epochs and --batch-size must be >= 1, got {epochs}, {batch_size}")
    check_schedule(lr_schedule)
    set_threads(threads)
    chosen = select_device(device)
    torch.manual_seed(seed)
    order_rng = torch.Generator().manual_seed(seed)
    symmetry = kernel_symmetry(group, tolerance)
    model = SphereCNN(symmetry, width_scale, tying).to(chosen)
    x_train, y_train = _tensors(train_path, max_train)
    x_test, y_test = _tensors(test_path, max_test)
    val = _tensors(val_path, max_test) if val_path else None
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = []
    for epoch in range(epochs):
        t0 = time.perf_counter()
        rate = set_epoch_rate(optimizer, lr_schedule, lr, epoch, epochs)
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
        row = {"epoch": epoch, "lr": rate, "loss": loss_sum / len(x_train), "train_accuracy": hits / max(total, 1),
               "test_accuracy": accuracy(model, x_test, y_test, chosen), "train_seconds": seconds}
        if val is not None:
            row["val_accuracy"] = accuracy(model, *val, chosen)
        history.append(row)
        log.info("%s epoch %d/%d: %s", variant, epoch + 1, epochs, {k: round(v, 4) for k, v in row.items()})
    return {"format": "symrepro.downstream.mnist_sphere/1", "variant": variant, "kernel_symmetry": symmetry,
            "tying": model.tying,
            "group": None if group is None else group.name, "group_metadata": None if group is None else group.metadata,
            "width_scale": width_scale, "seed": seed, "epochs": epochs, "batch_size": batch_size, "lr": lr,
            "lr_schedule": lr_schedule,
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
                    device=args.device, threads=args.threads, recalibrate=args.recalibrate_bn, tying=args.tying,
                    lr_schedule=args.lr_schedule)
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
    p.add_argument("--tying", choices=TYINGS, default="average",
                   help="how a C4 group ties the kernels: average (rotation-invariant kernels, the paper's) or "
                        "regular (C4 group convolution, half the width per orientation); plain kernels ignore it")
    p.add_argument("--recalibrate-bn", type=int, default=256,
                   help="training images whose exact BatchNorm statistics replace the running ones after each epoch (0: off)")
    p.set_defaults(func=cmd_train)
    from .mnist_sphere_report import register as register_report

    register_report(steps)
