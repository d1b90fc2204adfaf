"""LieGAN training on the sphere data and its `symrepro liegan train` command.

Per batch (as in the published method): a generator step — BCE(D(g·x, g·y), real)
plus λ·|cos(g·x, x)| (mean over samples of the cosine between the flattened images;
it pushes g away from the identity) — then a discriminator step —
(BCE(D(x, y), real) + BCE(D(g·x, g·y), fake)) / 2 on the detached rotated batch.
Adam: generator lr 1e-3, betas (0.5, 0.999); discriminator lr 2e-4 (PyTorch's default
betas, as the reference). Outputs: group.json — a MatrixGroup on R³ with the learned
generator L and metadata {axis, magnitude} — and history.json (per-epoch losses and
coefficients).
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ..atomic import write_json
from ..datasets import mnist_sphere as data
from ..device import select_device, set_threads
from ..errors import InputError
from ..symmetry import MatrixGroup
from .model import LieGenerator, SegmentationDiscriminator, axis_and_magnitude

log = logging.getLogger(__name__)

ACTS_ON = "R^3: the unit sphere (x, y, z); sphere image row = longitude, column = polar angle"


def train(images: torch.Tensor, labels: torch.Tensor, *, epochs: int = 10, batch_size: int = 16, lr_d: float = 2e-4,
          lr_g: float = 1e-3, reg: float = 1e-2, seed: int = 0, device: str = "auto",
          threads: int | None = None) -> tuple[MatrixGroup, list[dict]]:
    """images uint8/float (N, 1, H, W), labels (N, H, W) in 0…10."""
    if epochs < 1 or batch_size < 1:
        raise InputError(f"--epochs and --batch-size must be >= 1, got {epochs}, {batch_size}")
    set_threads(threads)
    chosen = select_device(device)
    torch.manual_seed(seed)
    rng = torch.Generator().manual_seed(seed)
    gen, disc = LieGenerator().to(chosen), SegmentationDiscriminator().to(chosen)
    opt_g = torch.optim.Adam(gen.parameters(), lr=lr_g, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(disc.parameters(), lr=lr_d)
    bce = nn.BCELoss()
    history = []
    for epoch in range(epochs):
        t0 = time.perf_counter()
        sums = {"d_real": 0.0, "d_fake": 0.0, "g_adversarial": 0.0, "g_cosine": 0.0}
        batches = torch.randperm(len(images), generator=rng).split(batch_size)
        for index in batches:
            x = images[index].to(chosen).float()
            if images.dtype == torch.uint8:
                x = x / 255
            y = F.one_hot(labels[index].to(chosen).long(), data.CLASSES).permute(0, 3, 1, 2).float()
            real, fake = torch.ones(len(x), 1, device=chosen), torch.zeros(len(x), 1, device=chosen)
            gx, gy = gen(x, y, rng)
            g_adv = bce(disc(gx, gy), real)
            g_cos = F.cosine_similarity(gx.flatten(1), x.flatten(1), dim=1).mean().abs()
            opt_g.zero_grad(set_to_none=True)
            (g_adv + reg * g_cos).backward()
            opt_g.step()
            d_real = bce(disc(x, y), real)
            d_fake = bce(disc(gx.detach(), gy.detach()), fake)
            opt_d.zero_grad(set_to_none=True)
            ((d_real + d_fake) / 2).backward()
            opt_d.step()
            for key, value in zip(sums, (d_real, d_fake, g_adv, g_cos)):
                sums[key] += float(value.detach())
        coefficients = gen.coefficients.detach().cpu().numpy()[0]
        axis, magnitude = axis_and_magnitude(gen.algebra().detach().cpu().numpy()[0])
        row = {"epoch": epoch, **{k: v / len(batches) for k, v in sums.items()},
               "coefficients": coefficients.tolist(), "axis": axis, "magnitude": magnitude,
               "seconds": time.perf_counter() - t0}
        history.append(row)
        log.info("LieGAN epoch %d/%d: D real %.4f fake %.4f, G %.4f, |w| %.4f axis %s (%.1f s)", epoch + 1, epochs,
                 row["d_real"], row["d_fake"], row["g_adversarial"], magnitude, np.round(axis, 3).tolist(),
                 row["seconds"])
    algebra = gen.algebra().detach().cpu().double().numpy()
    axis, magnitude = axis_and_magnitude(algebra[0])
    group = MatrixGroup("LieGAN mnist_sphere", algebra, np.zeros((0, 3, 3)), ACTS_ON,
                        {"method": "LieGAN", "seed": seed, "epochs": epochs, "axis": axis, "magnitude": magnitude,
                         "coefficients_basis": "so(3) generators about x, y, z (symmetry.lie.so3_generators)"})
    return group, history


def cmd_train(args: argparse.Namespace) -> None:
    images, labels = data.load(args.data)
    if args.max_samples is not None:
        images, labels = images[:args.max_samples], labels[:args.max_samples]
    group, history = train(torch.from_numpy(images), torch.from_numpy(labels), epochs=args.epochs,
                           batch_size=args.batch_size, lr_d=args.lr_d, lr_g=args.lr_g, reg=args.reg, seed=args.seed,
                           device=args.device, threads=args.threads)
    group.metadata["data"] = str(args.data)
    out = Path(args.out_dir)
    write_json(out / "history.json", {"format": "symrepro.liegan.history/1", "seed": args.seed, "history": history})
    group.write(out / "group.json")


def register(families) -> None:
    parser = families.add_parser("liegan", help="LieGAN baseline: a global so(3) generator on the sphere data")
    steps = parser.add_subparsers(dest="step", required=True, metavar="STEP")
    p = steps.add_parser("train", help="train LieGAN; write group.json and history.json")
    p.add_argument("--data", required=True, help="sphere data (symrepro data mnist-sphere)")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--lr-d", type=float, default=2e-4)
    p.add_argument("--lr-g", type=float, default=1e-3)
    p.add_argument("--reg", type=float, default=1e-2, help="λ of the cosine regulariser")
    p.add_argument("--max-samples", type=int)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto")
    p.add_argument("--threads", type=int)
    p.add_argument("--out-dir", required=True, help="receives group.json and history.json")
    p.set_defaults(func=cmd_train)
