"""Climate (AtlasD), downstream: the icosahedral U-Net segmenting tropical cyclones and
atmospheric rivers, its kernel constraint derived from a symmetry group (group.json).

Model: `symrepro.icosahedral.unet.IcoUNet(in_channels, classes=3, widths,
kernel_symmetry)` on fields (B, C, 5, 2**r, 2**(r+1)) → logits (B, 3, 5, 2**r, 2**(r+1));
`--widths` (default 16,16,32,64,128,256) starts with the input level (= C = 16), each
further entry is one level down (r must be ≥ the number of levels + 1). Any other
model is injected as `model_factory(in_channels, classes, widths, kernel_symmetry)`.
Variants: `baseline` — SO(2)-gauge kernels ("so2", no group); `discovered` — the
constraint `symrepro.icosahedral.conv.kernel_symmetry(group)` derives from `--group`
(an algebra of rotations only → "so2", one spanning gl(2) → "uniform").

Data: `climate_<split>.h5` with `ico/fields` (N, C, 5, H, W) float16 (normalised),
`ico/labels` (N, 5, H, W) uint8 in {0 background, 1 tropical cyclone, 2 atmospheric
river}, `time` (N,) byte strings YYYY-MM-DD-HH (several rows share a timestamp when
several experts annotated it), `annotator` (N,) int16. The files are never loaded
whole: every mini-batch is read from h5py with sorted indices; the training order is
shuffled by a torch.Generator seeded with `--seed`.

Training (as the reference, Rose-STL-Lab/ATLAS climate experiment): Jaccard (soft
IoU) loss over the three classes, Adam lr 1e-3, 20 epochs, batch 4 (`--lr-schedule
cosine` anneals the rate instead, `symrepro.downstream.schedule`). After each epoch
the test split is evaluated under two IoU conventions (see `iou_conventions`) and by
pixel accuracy; `metrics.json` (format "symrepro.climate_downstream/1") records
them per epoch together with the parameter counts.
"""

from __future__ import annotations

import argparse
import logging
import time
from collections import OrderedDict
from pathlib import Path
from typing import Callable

import h5py
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ..atomic import write_json
from ..device import select_device, set_threads
from ..errors import InputError
from ..symmetry import MatrixGroup
from .schedule import check_schedule, set_epoch_rate

log = logging.getLogger(__name__)

FORMAT = "symrepro.climate_downstream/1"
CLASSES = ("background", "tropical_cyclone", "atmospheric_river")
IN_CHANNELS = 16
WIDTHS = (16, 16, 32, 64, 128, 256)
FIELDS, LABELS, TIME, ANNOTATOR = "ico/fields", "ico/labels", "time", "annotator"
CONVENTIONS = ("reference", "skip_empty")

ModelFactory = Callable[[int, int, tuple, str], nn.Module]


# ------------------------------------------------------------------ kernel constraint
def derive_kernel_symmetry(group: MatrixGroup | None, tolerance: float = 0.15) -> str:
    """"so2" without a group (the SO(2)-gauge baseline); otherwise what
    `symrepro.icosahedral.conv.kernel_symmetry` derives from the group, which must act
    on the tangent plane (d = 2)."""
    if group is None:
        return "so2"
    if group.dim != 2:
        raise InputError(f"group {group.name!r} acts on R^{group.dim}; the icosahedral U-Net needs a group on the "
                         f"tangent plane (d = 2)")
    from ..icosahedral.conv import kernel_symmetry

    return kernel_symmetry(group, tolerance)


def ico_unet(in_channels: int, classes: int, widths: tuple, kernel_symmetry: str) -> nn.Module:
    """The default model factory: the icosahedral U-Net."""
    from ..icosahedral.unet import IcoUNet

    return IcoUNet(in_channels=in_channels, classes=classes, widths=tuple(widths), kernel_symmetry=kernel_symmetry)


def parameter_counts(model: nn.Module) -> tuple[int, int, str]:
    """(all weights, free weights under the kernel constraint, where the second comes
    from). A model with an `effective_parameters()` method reports the free weights
    itself; otherwise (as IcoUNet, whose constrained kernels are parameterised by their
    free weights only: 7 taps for "so2", 1 for "uniform") the two counts coincide."""
    total = sum(p.numel() for p in model.parameters())
    effective = getattr(model, "effective_parameters", None)
    if callable(effective):
        return total, int(effective()), "model.effective_parameters()"
    return total, total, "parameters (the model's weights are its free parameters)"


# ------------------------------------------------------------------------------ data
class ClimateFile:
    """An open `climate_<split>.h5`, checked, read in mini-batches.

    `limit` keeps only the first `limit` samples. `need_time` requires the `time`
    dataset (the test split: the reference convention averages per timestamp)."""

    def __init__(self, path, in_channels: int | None = None, limit: int | None = None, need_time: bool = False):
        self.path = Path(path)
        if not self.path.exists():
            raise InputError(f"data file {self.path} does not exist")
        try:
            self.file = h5py.File(self.path, "r")
        except OSError as err:
            raise InputError(f"data file {self.path} is not a readable HDF5 file: {err}") from err
        try:
            self._check(in_channels, limit, need_time)
        except BaseException:
            self.file.close()
            raise

    def _dataset(self, name: str) -> h5py.Dataset:
        if name not in self.file or not isinstance(self.file[name], h5py.Dataset):
            raise InputError(f"data file {self.path} has no dataset {name!r}")
        return self.file[name]

    def _check(self, in_channels, limit, need_time) -> None:
        where = f"data file {self.path}"
        self.fields, self.labels = self._dataset(FIELDS), self._dataset(LABELS)
        f, y = self.fields.shape, self.labels.shape
        if len(f) != 5 or f[2] != 5 or f[3] < 1 or f[3] & (f[3] - 1) or f[4] != 2 * f[3]:
            raise InputError(f"{where}: dataset {FIELDS!r} has shape {f}, expected (N, C, 5, 2**r, 2**(r+1))")
        if in_channels is not None and f[1] != in_channels:
            raise InputError(f"{where}: dataset {FIELDS!r} has {f[1]} channels, the model takes {in_channels}")
        if y != (f[0],) + f[2:]:
            raise InputError(f"{where}: dataset {LABELS!r} has shape {y}, expected {(f[0],) + f[2:]} to match {FIELDS!r}")
        if self.fields.dtype.kind != "f":
            raise InputError(f"{where}: dataset {FIELDS!r} has dtype {self.fields.dtype}, expected floats")
        if self.labels.dtype.kind not in "ui":
            raise InputError(f"{where}: dataset {LABELS!r} has dtype {self.labels.dtype}, expected integers")
        self.resolution = int(np.log2(f[3]))
        declared = self.file.attrs.get("ico_resolution")
        if declared is not None and int(declared) != self.resolution:
            raise InputError(f"{where}: attribute ico_resolution = {int(declared)} but {FIELDS!r} has 2**r = {f[3]} rows")
        self.size = f[0] if limit is None else min(f[0], limit)
        if self.size < 1:
            raise InputError(f"{where} holds no samples" + ("" if limit is None else f" (--max = {limit})"))
        self.times = None
        if need_time or TIME in self.file:
            times = self._dataset(TIME)
            if times.shape != (f[0],):
                raise InputError(f"{where}: dataset {TIME!r} has shape {times.shape}, expected ({f[0]},)")
            self.times = [t.decode() if isinstance(t, bytes) else str(t) for t in times[: self.size]]
        self.annotators = None
        if ANNOTATOR in self.file:
            annotators = self._dataset(ANNOTATOR)
            if annotators.shape != (f[0],):
                raise InputError(f"{where}: dataset {ANNOTATOR!r} has shape {annotators.shape}, expected ({f[0]},)")
            self.annotators = annotators[: self.size].astype(int)

    @property
    def channels(self) -> int:
        return int(self.fields.shape[1])

    def batch(self, index) -> tuple[torch.Tensor, torch.Tensor]:
        """Fields (float32) and labels (int64) of the samples `index`, in sorted order."""
        index = np.sort(np.asarray(index, dtype=np.int64))
        try:
            x = self.fields[index] if len(index) > 1 else self.fields[int(index[0])][None]
            y = self.labels[index] if len(index) > 1 else self.labels[int(index[0])][None]
        except OSError as err:
            raise InputError(f"data file {self.path}: cannot read samples {index.tolist()} (truncated?): {err}") from err
        if y.min() < 0 or y.max() >= len(CLASSES):
            raise InputError(f"data file {self.path}: dataset {LABELS!r} holds labels outside 0..{len(CLASSES) - 1} "
                             f"(samples {index.tolist()})")
        return torch.from_numpy(np.asarray(x, dtype=np.float32)), torch.from_numpy(y.astype(np.int64))

    def batches(self, batch_size: int, generator: torch.Generator | None = None):
        """(indices, fields, labels) per mini-batch: shuffled by `generator`, else in order."""
        order = torch.randperm(self.size, generator=generator) if generator is not None else torch.arange(self.size)
        for chunk in order.split(batch_size):
            index = np.sort(chunk.numpy())
            yield (index, *self.batch(index))

    def close(self) -> None:
        self.file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ------------------------------------------------------------------ loss and metrics
def jaccard_loss(logits: torch.Tensor, labels: torch.Tensor, eps: float = 1e-7) -> torch.Tensor:
    """1 − mean over classes of soft IoU: softmax probabilities against the one-hot
    labels, intersection and union summed over the batch and all pixels."""
    classes = logits.shape[1]
    probs = F.softmax(logits, dim=1)
    onehot = F.one_hot(labels, classes).movedim(-1, 1).to(probs.dtype)
    dims = (0,) + tuple(range(2, logits.ndim))
    intersection = (probs * onehot).sum(dims)
    union = (probs + onehot).sum(dims) - intersection
    return 1 - (intersection / (union + eps)).mean()


def overlap_counts(prediction: torch.Tensor, labels: torch.Tensor, classes: int = len(CLASSES)):
    """Per sample and class: |pred ∩ truth|, |pred ∪ truth| (each (B, classes)), and correct pixels (B,)."""
    pred = F.one_hot(prediction.reshape(len(prediction), -1), classes).bool()
    true = F.one_hot(labels.reshape(len(labels), -1), classes).bool()
    intersection = (pred & true).sum(1)
    union = (pred | true).sum(1)
    correct = (prediction == labels).reshape(len(labels), -1).sum(1)
    return intersection.cpu().numpy(), union.cpu().numpy(), correct.cpu().numpy()


def _nanmean(a: np.ndarray, axis: int) -> np.ndarray:
    """Mean over `axis` ignoring NaN; NaN (without a warning) where all are NaN."""
    valid = ~np.isnan(a)
    count = valid.sum(axis)
    total = np.where(valid, a, 0.0).sum(axis)
    return np.divide(total, count, out=np.full(total.shape, np.nan), where=count > 0)


def _per_timestamp(values: np.ndarray, times) -> np.ndarray:
    """Average (ignoring NaN) the rows of `values` sharing a timestamp → (T, ...), timestamps in first-seen order."""
    groups: OrderedDict[str, list[int]] = OrderedDict()
    for i, t in enumerate(times):
        groups.setdefault(t, []).append(i)
    return np.stack([_nanmean(values[rows], 0) for rows in groups.values()])


def iou_conventions(intersection: np.ndarray, union: np.ndarray, times=None) -> dict:
    """IoU per class and mean IoU from per-sample counts (N, classes), under two conventions.

    * "reference" (the reference's): per sample, IoU = |∩|/|∪| per class with an empty
      union counting 0; per timestamp, each class's IoU averaged over that timestamp's
      samples (annotators); then averaged over timestamps. The mean IoU is the mean of
      the per-class IoUs.
    * "skip_empty": a class with empty union (absent from truth and prediction) is
      skipped. Per sample, the mean IoU is the mean over the classes present; per class
      and for the mean, samples are averaged (skipping NaN) per timestamp, then over
      timestamps (skipping NaN). A class absent everywhere has IoU NaN (null in JSON).

    `times` (N,) groups samples by timestamp; None treats every sample as its own.
    """
    intersection = np.asarray(intersection, dtype=np.float64)
    union = np.asarray(union, dtype=np.float64)
    if intersection.shape != union.shape or intersection.ndim != 2:
        raise ValueError(f"intersection {intersection.shape} and union {union.shape} must both be (N, classes)")
    if times is None:
        times = [str(i) for i in range(len(union))]
    if len(times) != len(union):
        raise ValueError(f"{len(times)} timestamps for {len(union)} samples")
    iou = np.divide(intersection, union, out=np.full(union.shape, np.nan), where=union > 0)
    reference = _per_timestamp(np.nan_to_num(iou, nan=0.0), times).mean(0)
    per_class_skip = _nanmean(_per_timestamp(iou, times), 0)
    sample_mean_skip = _nanmean(iou, 1)
    mean_skip = _nanmean(_per_timestamp(sample_mean_skip[:, None], times), 0)[0]
    return {"reference": {"per_class": reference.tolist(), "mean": float(reference.mean())},
            "skip_empty": {"per_class": per_class_skip.tolist(), "mean": float(mean_skip)}}


@torch.no_grad()
def evaluate(model: nn.Module, data: ClimateFile, device, batch_size: int) -> dict:
    model.eval()
    inter, union, correct = [], [], 0
    for _, x, y in data.batches(batch_size):
        prediction = model(x.to(device)).argmax(1)
        i, u, c = overlap_counts(prediction, y.to(device))
        inter.append(i)
        union.append(u)
        correct += int(c.sum())
    inter, union = np.concatenate(inter), np.concatenate(union)
    pixels = data.size * int(np.prod(data.labels.shape[1:]))
    out = {}
    for name, result in iou_conventions(inter, union, data.times).items():
        out[f"iou_{name}"] = {"per_class": dict(zip(CLASSES, result["per_class"])), "mean": result["mean"]}
    out["pixel_accuracy"] = correct / pixels
    return out


# ----------------------------------------------------------------------------- train
def parse_widths(text: str) -> tuple[int, ...]:
    try:
        widths = tuple(int(w) for w in str(text).split(",") if w.strip())
    except ValueError as err:
        raise InputError(f"--widths must be a comma-separated list of integers, got {text!r}") from err
    if len(widths) < 2 or min(widths) < 1:
        raise InputError(f"--widths needs at least two positive widths, got {text!r}")
    return widths


def train(variant: str, group: MatrixGroup | None, train_path, test_path, *, epochs: int = 20,
          widths=WIDTHS, batch_size: int = 4, lr: float = 1e-3, seed: int = 0, max_train: int | None = None,
          max_test: int | None = None, tolerance: float = 0.15, device: str = "auto", threads: int | None = None,
          model_factory: ModelFactory | None = None, in_channels: int = IN_CHANNELS,
          lr_schedule: str = "constant") -> dict:
    """Train the model of `variant` on `train_path`, evaluate on `test_path` after each
    epoch; returns the metrics dictionary (format "symrepro.climate_downstream/1")."""
    if variant not in ("baseline", "discovered"):
        raise InputError(f"--variant must be baseline or discovered, got {variant!r}")
    if variant == "discovered" and group is None:
        raise InputError("--variant discovered needs --group group.json")
    if variant == "baseline" and group is not None:
        raise InputError("--variant baseline uses SO(2)-gauge kernels and takes no --group")
    if epochs < 1 or batch_size < 1:
        raise InputError(f"--epochs and --batch-size must be >= 1, got {epochs}, {batch_size}")
    if lr <= 0:
        raise InputError(f"--lr must be > 0, got {lr}")
    check_schedule(lr_schedule)
    for name, value in (("--max-train", max_train), ("--max-test", max_test)):
        if value is not None and value < 1:
            raise InputError(f"{name} must be >= 1, got {value}")
    widths = tuple(widths)
    symmetry = derive_kernel_symmetry(group, tolerance)
    set_threads(threads)
    chosen = select_device(device)
    factory = model_factory or ico_unet
    with ClimateFile(train_path, in_channels, max_train) as train_data, \
            ClimateFile(test_path, in_channels, max_test, need_time=True) as test_data:
        if train_data.resolution != test_data.resolution:
            raise InputError(f"{train_path} has icosahedral resolution r = {train_data.resolution}, "
                             f"{test_path} r = {test_data.resolution}")
        torch.manual_seed(seed)
        order_rng = torch.Generator().manual_seed(seed)
        model = factory(in_channels, len(CLASSES), widths, symmetry).to(chosen)
        parameters, effective, effective_source = parameter_counts(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        history = []
        for epoch in range(epochs):
            t0 = time.perf_counter()
            rate = set_epoch_rate(optimizer, lr_schedule, lr, epoch, epochs)
            model.train()
            loss_sum = 0.0
            for index, x, y in train_data.batches(batch_size, order_rng):
                loss = jaccard_loss(model(x.to(chosen)), y.to(chosen))
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                loss_sum += float(loss.detach()) * len(index)
            train_seconds = time.perf_counter() - t0
            t1 = time.perf_counter()
            test = evaluate(model, test_data, chosen, batch_size)
            row = {"epoch": epoch, "lr": rate, "train_loss": loss_sum / train_data.size, **test,
                   "train_seconds": train_seconds, "test_seconds": time.perf_counter() - t1}
            history.append(row)
            log.info("%s epoch %d/%d: loss %.4f, mean IoU %.4f (reference) %.4f (skip empty), pixel accuracy %.4f, "
                     "%.1f s", variant, epoch + 1, epochs, row["train_loss"], row["iou_reference"]["mean"],
                     row["iou_skip_empty"]["mean"], row["pixel_accuracy"], train_seconds)
        last = history[-1]
        return {"format": FORMAT, "variant": variant, "kernel_symmetry": symmetry,
                "group": None if group is None else group.name,
                "group_algebra_rank": None if group is None else group.algebra_rank,
                "group_metadata": None if group is None else group.metadata,
                "classes": list(CLASSES), "widths": list(widths), "in_channels": in_channels,
                "ico_resolution": train_data.resolution, "seed": seed, "epochs": epochs, "batch_size": batch_size,
                "lr": lr, "lr_schedule": lr_schedule, "device": str(chosen), "threads": torch.get_num_threads(),
                "train_samples": train_data.size, "test_samples": test_data.size,
                "test_timestamps": len(set(test_data.times)),
                "test_annotators": None if test_data.annotators is None else sorted(set(test_data.annotators.tolist())),
                "parameters": parameters, "effective_parameters": effective,
                "effective_parameters_source": effective_source,
                "final_mean_iou_reference": last["iou_reference"]["mean"],
                "final_mean_iou_skip_empty": last["iou_skip_empty"]["mean"],
                "final_pixel_accuracy": last["pixel_accuracy"],
                "seconds_per_epoch": float(np.mean([h["train_seconds"] for h in history])),
                "history": history}


def cmd_train(args: argparse.Namespace) -> None:
    group = MatrixGroup.read(args.group) if args.group else None
    metrics = train(args.variant, group, args.train, args.test, epochs=args.epochs, widths=parse_widths(args.widths),
                    batch_size=args.batch_size, lr=args.lr, seed=args.seed, max_train=args.max_train,
                    max_test=args.max_test, tolerance=args.tolerance, device=args.device, threads=args.threads,
                    lr_schedule=args.lr_schedule)
    metrics.update({"train_file": str(args.train), "test_file": str(args.test), "group_file": args.group})
    write_json(args.out, metrics)


def register(parser: argparse.ArgumentParser) -> None:
    from .cli import add_training_arguments

    steps = parser.add_subparsers(dest="step", required=True, metavar="STEP")
    p = steps.add_parser("train", help="train and test the icosahedral U-Net (SO(2)-gauge or group-derived kernels)")
    add_training_arguments(p, group_help="group.json the kernel constraint is derived from (discovered variant)",
                           train_help="climate_train.h5", test_help="climate_test.h5", epochs=20, batch_size=4,
                           tolerance_help="relative residual when matching the group's algebra")
    p.add_argument("--widths", default=",".join(map(str, WIDTHS)), help="U-Net widths, comma-separated")
    p.set_defaults(func=cmd_train)
    from .climate_report import register as register_report

    register_report(steps)
