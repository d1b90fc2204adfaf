"""`symrepro atlas {train-predictor,discover-algebra,discover-cosets,summarize,plot}`:
the steps of the heat-equation (PDE) local-symmetry experiment."""

from __future__ import annotations

import argparse
import json
import logging

import numpy as np
import torch

from ..atomic import atomic_path, write_text
from ..device import DEVICE_CHOICES, select_device, set_threads
from ..errors import InputError

log = logging.getLogger(__name__)


def _fields(path) -> tuple[torch.Tensor, torch.Tensor]:
    from ..datasets.heat import load

    initial, final = load(path)
    return torch.from_numpy(initial)[:, None], torch.from_numpy(final)[:, None]


def _settings(args, epochs: int, lr_basis: float | None = None):
    from .discovery import Settings

    return Settings(epochs=epochs, batch_size=args.batch_size, lr_predictor=getattr(args, "lr_predictor", 1e-3),
                    lr_basis=lr_basis if lr_basis is not None else getattr(args, "lr_basis", 5e-4),
                    r1=getattr(args, "r1", 0.05), r2=getattr(args, "r2", 1.0), r3=getattr(args, "r3", 0.35),
                    train_predictor=not getattr(args, "freeze_predictor", False))


def _setup(args):
    set_threads(args.threads)
    torch.manual_seed(args.seed)  # module initialisation (the predictor's weights)
    return select_device(args.device), torch.Generator().manual_seed(args.seed)


def _load_predictor(path, atlas_number: int, device):
    from .predictors import ChartConvNet

    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
        net = ChartConvNet(**saved["hparams"])
        net.load_state_dict(saved["state_dict"])
    except (OSError, RuntimeError, KeyError, TypeError, EOFError) as err:
        raise InputError(f"cannot rebuild the predictor from {path}: {err}") from err
    if saved.get("atlas") != atlas_number:
        raise InputError(f"{path} was trained on atlas {saved.get('atlas')}, not atlas {atlas_number}")
    return net.to(device)


def _read_json(path) -> dict:
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, json.JSONDecodeError) as err:
        raise InputError(f"cannot read {path}: {err}") from err


def _write_json(path, payload: dict) -> None:
    write_text(path, json.dumps(payload, indent=2))


# ------------------------------------------------------------------ commands
def cmd_train_predictor(args) -> None:
    from .discovery import Discovery, LocalGeometry
    from .pde import atlas
    from .predictors import ChartConvNet

    device, generator = _setup(args)
    chart_atlas = atlas(args.atlas)
    inputs, targets = _fields(args.data)
    net = ChartConvNet(len(chart_atlas), hidden=args.hidden, layers=args.layers).to(device)
    trainer = Discovery(LocalGeometry(chart_atlas), net, _settings(args, args.epochs), device)
    history = []
    for epoch in range(args.epochs):
        history.append({"epoch": epoch, "predictor_loss": trainer.predictor_epoch(inputs, targets, generator)})
        log.info("predictor epoch %d/%d: L1 %.5f", epoch + 1, args.epochs, history[-1]["predictor_loss"])
    with atomic_path(args.out) as tmp:
        torch.save({"state_dict": net.state_dict(), "hparams": net.hparams, "atlas": args.atlas,
                    "history": history}, tmp)


def cmd_discover_algebra(args) -> None:
    from .discovery import Discovery, LocalGeometry
    from .lie_algebra import LieAlgebraBasis
    from .pde import atlas

    device, generator = _setup(args)
    chart_atlas = atlas(args.atlas)
    inputs, targets = _fields(args.data)
    net = _load_predictor(args.predictor, args.atlas, device)
    basis = LieAlgebraBasis(args.generators, 2, generator).to(device)
    trainer = Discovery(LocalGeometry(chart_atlas), net, _settings(args, args.epochs), device)
    history = trainer.discover_algebra(basis, inputs, targets, generator)
    _write_json(args.out, {"experiment": "pde", "atlas": args.atlas, "seed": args.seed,
                           "basis": basis.basis.detach().cpu().tolist(), "history": history})


def cmd_discover_cosets(args) -> None:
    from .cosets import select
    from .discovery import CosetCandidates, Discovery, LocalGeometry
    from .pde import atlas

    device, generator = _setup(args)
    algebra = np.asarray(_read_json(args.algebra)["basis"], dtype=np.float64)
    if algebra.ndim != 3 or algebra.shape[1:] != (2, 2):
        raise InputError(f"{args.algebra}: 'basis' must be a list of 2×2 matrices, got shape {algebra.shape}")
    if args.keep > args.candidates:
        raise InputError(f"--keep ({args.keep}) cannot exceed --candidates ({args.candidates})")
    chart_atlas = atlas(args.atlas)
    inputs, _ = _fields(args.data)
    net = _load_predictor(args.predictor, args.atlas, device)
    net.requires_grad_(False)
    candidates = CosetCandidates(args.candidates, 2, generator).to(device)
    trainer = Discovery(LocalGeometry(chart_atlas), net, _settings(args, args.epochs, lr_basis=args.lr), device)
    history = trainer.discover_cosets(candidates, inputs, generator)
    final = candidates.normalized().detach().cpu().numpy()
    kept = select(final, np.asarray(history[-1]["losses"]), args.keep, algebra, args.tolerance)
    _write_json(args.out, {"experiment": "pde", "atlas": args.atlas, "seed": args.seed, "algebra": algebra.tolist(),
                           "kept": kept, "candidates": final.tolist(), "history": history})


def cmd_summarize(args) -> None:
    from .summary import summarize, write

    if len(args.algebra) != len(args.cosets):
        raise InputError("--algebra and --cosets need one file each per run")
    runs = [(_read_json(a), _read_json(c)) for a, c in zip(args.algebra, args.cosets)]
    write(summarize(runs), args.out)


def cmd_plot(args) -> None:
    from .plot import plot

    runs = [(_read_json(a), _read_json(c)) for a, c in zip(args.algebra, args.cosets)]
    plot(runs, args.out)


def _common(p: argparse.ArgumentParser, data: bool = True) -> None:
    if data:
        p.add_argument("--data", required=True, help="heat-equation HDF5 file (symrepro data heat)")
        p.add_argument("--atlas", type=int, choices=(1, 2), required=True)
        p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", choices=DEVICE_CHOICES, default="auto")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--out", required=True)


def register(families) -> None:
    parser = families.add_parser("atlas", help="local symmetry discovery (AtlasD), heat-equation experiment")
    steps = parser.add_subparsers(dest="step", required=True, metavar="STEP")

    p = steps.add_parser("train-predictor", help="train the per-chart predictors -> predictor.pt")
    _common(p)
    p.add_argument("--epochs", type=int, required=True)
    p.add_argument("--lr-predictor", type=float, default=1e-3)
    p.add_argument("--hidden", type=int, default=16)
    p.add_argument("--layers", type=int, default=4)
    p.set_defaults(func=cmd_train_predictor)

    p = steps.add_parser("discover-algebra", help="learn the Lie algebra basis -> algebra.json")
    _common(p)
    p.add_argument("--predictor", required=True)
    p.add_argument("--generators", type=int, default=1)
    p.add_argument("--epochs", type=int, required=True)
    p.add_argument("--lr-basis", type=float, default=5e-4)
    p.add_argument("--lr-predictor", type=float, default=1e-3)
    p.add_argument("--freeze-predictor", action="store_true", help="skip the predictor pass of each epoch")
    p.add_argument("--r1", type=float, default=0.05)
    p.add_argument("--r2", type=float, default=1.0)
    p.add_argument("--r3", type=float, default=0.1)
    p.set_defaults(func=cmd_discover_algebra)

    p = steps.add_parser("discover-cosets", help="learn discrete coset representatives -> cosets.json")
    _common(p)
    p.add_argument("--predictor", required=True)
    p.add_argument("--algebra", required=True, help="algebra.json from discover-algebra")
    p.add_argument("--candidates", type=int, default=16)
    p.add_argument("--keep", type=int, default=8)
    p.add_argument("--epochs", type=int, required=True)
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--tolerance", type=float, default=0.1, help="identity-component test: MSE of the fit")
    p.set_defaults(func=cmd_discover_cosets)

    p = steps.add_parser("summarize", help="cosine to so(2), coset count, reflection found -> summary.csv")
    p.add_argument("--algebra", nargs="+", required=True)
    p.add_argument("--cosets", nargs="+", required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_summarize)

    p = steps.add_parser("plot", help="generators, loss curves and coset representatives -> figure")
    p.add_argument("--algebra", nargs="+", required=True)
    p.add_argument("--cosets", nargs="+", required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_plot)
