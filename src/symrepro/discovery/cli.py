"""`symrepro atlas <step>`: the heat-equation (PDE) local-symmetry chain.

    train-predictor   data.h5                       -> predictor.pt
    discover-algebra  data.h5, predictor.pt         -> algebra.json
    discover-cosets   data.h5, predictor.pt, algebra.json -> cosets.json
    summarize         algebra.json…, cosets.json…   -> summary.csv
    plot              algebra.json…, cosets.json…   -> figure (pdf)

predictor.pt: {"state_dict", "hparams" (ChartConvNet arguments), "atlas", "seed",
"history" (per epoch: epoch, predictor_loss, seconds), "settings"}.
algebra.json: {"experiment", "atlas", "seed", "basis" (m × 2 × 2 list),
"cosine_so2" (per generator), "history" (per epoch: epoch, predictor_loss or null
when the predictor is frozen, basis_loss, regularization, basis, seconds),
"settings"}.
cosets.json: {"experiment", "atlas", "seed", "algebra" (the basis read from
--algebra), "tolerance", "kept" (representatives: index, matrix, loss,
determinant, reflection, angle), "considered" (the best --keep candidates in loss
order, with duplicate_of and mse), "candidates" (all final matrices), "history"
(per epoch: epoch, losses per candidate, seconds), "settings"}.
"""

from __future__ import annotations

import argparse
import json
import logging
import math

import numpy as np
import torch

from ..atomic import atomic_path, write_text
from ..device import DEVICE_CHOICES, select_device, set_threads
from ..errors import InputError

log = logging.getLogger(__name__)


# ----------------------------------------------------------------- helpers
def _setup(args) -> tuple[torch.device, torch.Generator]:
    """Threads, device, and the seeded generators: torch's global one initialises
    modules, the returned CPU generator drives data order and group sampling."""
    set_threads(args.threads)
    device = select_device(args.device)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed % 2**32)
    return device, torch.Generator().manual_seed(args.seed)


def _fields(args, device) -> tuple[torch.Tensor, torch.Tensor]:
    from ..datasets.heat import load

    initial, final = load(args.data, args.max_samples)
    return torch.from_numpy(initial)[:, None].to(device), torch.from_numpy(final)[:, None].to(device)


def _load_predictor(path, atlas_number: int, charts: int, device: torch.device):
    from .predictors import ChartConvNet

    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
        net = ChartConvNet(**saved["hparams"])
        net.load_state_dict(saved["state_dict"])
    except (OSError, RuntimeError, KeyError, TypeError, ValueError, EOFError) as err:
        raise InputError(f"cannot rebuild the predictor from {path}: {err}") from err
    if saved.get("atlas") != atlas_number or net.charts != charts:
        raise InputError(f"{path} was trained on atlas {saved.get('atlas')} ({net.charts} charts), "
                         f"not on atlas {atlas_number} ({charts} charts)")
    return net.to(device)


def _read_json(path) -> dict:
    try:
        with open(path) as f:
            payload = json.load(f)
    except (OSError, json.JSONDecodeError) as err:
        raise InputError(f"cannot read {path}: {err}") from err
    if not isinstance(payload, dict):
        raise InputError(f"{path}: expected a JSON object")
    return payload


def _finite(value):
    """JSON has no NaN: non-finite floats become null, recursively."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _write_json(path, payload: dict) -> None:
    write_text(path, json.dumps(_finite(payload), indent=1, allow_nan=False) + "\n")


def _trainer(args, predictor, device, lr_basis: float, **extra):
    from .pde import atlas
    from .trainers import LocalTrainer, Settings

    settings = Settings(batch_size=args.batch_size, lr_predictor=getattr(args, "lr_predictor", 1e-3),
                        lr_basis=lr_basis, **extra)
    return LocalTrainer(atlas(args.atlas), predictor, settings, device,
                        in_mode=getattr(args, "in_resampling", "bilinear"),
                        out_mode=getattr(args, "out_resampling", "bilinear"))


def _read_algebra(path) -> np.ndarray:
    payload = _read_json(path)
    if "basis" not in payload:
        raise InputError(f"{path}: missing key 'basis' (the discovered Lie algebra)")
    try:
        basis = np.asarray(payload["basis"], dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise InputError(f"{path}: 'basis' must be a list of 2×2 matrices of numbers: {err}") from err
    if basis.ndim != 3 or basis.shape[0] < 1 or basis.shape[1:] != (2, 2):
        raise InputError(f"{path}: 'basis' must be a non-empty list of 2×2 matrices, got shape {basis.shape}")
    if not np.isfinite(basis).all():
        raise InputError(f"{path}: 'basis' has non-finite entries")
    return basis


# ---------------------------------------------------------------- commands
def cmd_train_predictor(args) -> None:
    from .pde import atlas
    from .predictors import ChartConvNet

    device, generator = _setup(args)
    inputs, targets = _fields(args, device)
    net = ChartConvNet(len(atlas(args.atlas)), hidden=args.hidden, layers=args.layers).to(device)
    trainer = _trainer(args, net, device, lr_basis=5e-4)
    history = trainer.train_predictor(inputs, targets, args.epochs, generator)
    with atomic_path(args.out) as tmp:
        torch.save({"state_dict": net.state_dict(), "hparams": net.hparams, "atlas": args.atlas, "seed": args.seed,
                    "history": history, "settings": trainer.settings.as_dict()}, tmp)


def cmd_discover_algebra(args) -> None:
    from .lie_algebra import LieAlgebraBasis, cosine
    from .pde import SO2, atlas

    device, generator = _setup(args)
    inputs, targets = _fields(args, device)
    net = _load_predictor(args.predictor, args.atlas, len(atlas(args.atlas)), device)
    basis = LieAlgebraBasis(args.generators, 2, generator, init_std=args.init_std).to(device)
    trainer = _trainer(args, net, device, lr_basis=args.lr_basis, r1=args.r1, r2=args.r2, r3=args.r3,
                       train_predictor=not args.freeze_predictor)
    history = trainer.discover_algebra(basis, inputs, targets, args.epochs, generator)
    final = basis.basis.detach().cpu().numpy()
    _write_json(args.out, {"experiment": "pde", "atlas": args.atlas, "seed": args.seed, "basis": final.tolist(),
                           "cosine_so2": [cosine(b, SO2) for b in final], "history": history,
                           "settings": trainer.settings.as_dict() | {"epochs": args.epochs,
                                                                      "init_std": args.init_std}})


def cmd_discover_cosets(args) -> None:
    from .cosets import CosetCandidates, select_representatives
    from .pde import atlas

    if args.keep < 1 or args.keep > args.candidates:
        raise InputError(f"--keep must be between 1 and --candidates ({args.candidates}), got {args.keep}")
    algebra = _read_algebra(args.algebra)
    device, generator = _setup(args)
    inputs, _ = _fields(args, device)
    net = _load_predictor(args.predictor, args.atlas, len(atlas(args.atlas)), device)
    candidates = CosetCandidates(args.candidates, 2, generator).to(device)
    trainer = _trainer(args, net, device, lr_basis=args.lr, candidate_chunk=args.candidate_chunk)
    history = trainer.discover_cosets(candidates, inputs, args.epochs, generator)
    final = candidates.matrices().detach().cpu().numpy()
    losses = np.asarray(history[-1]["losses"]) if history else np.zeros(len(final))
    kept, considered = select_representatives(final, losses, args.keep, algebra, args.tolerance)
    log.info("kept %d coset representatives: %s", len(kept),
             [f"det {k['determinant']:+.2f}, angle {k.get('angle', float('nan')):.1f}°" for k in kept])
    _write_json(args.out, {"experiment": "pde", "atlas": args.atlas, "seed": args.seed, "algebra": algebra.tolist(),
                           "tolerance": args.tolerance, "kept": kept, "considered": considered,
                           "candidates": final.tolist(), "history": history,
                           "settings": trainer.settings.as_dict() | {"epochs": args.epochs,
                                                                      "candidates": args.candidates,
                                                                      "keep": args.keep}})


def _runs(args) -> tuple[list[tuple[dict, dict]], list[tuple[str, str]]]:
    if len(args.algebra) != len(args.cosets):
        raise InputError(f"--algebra ({len(args.algebra)} files) and --cosets ({len(args.cosets)} files) "
                         "need one file each per run")
    paths = list(zip(args.algebra, args.cosets))
    return [(_read_json(a), _read_json(c)) for a, c in paths], paths


def cmd_summarize(args) -> None:
    from .summary import summarize, write

    runs, paths = _runs(args)
    write(summarize(runs, paths), args.out)


def cmd_plot(args) -> None:
    from .plot import plot
    from .summary import summarize

    runs, paths = _runs(args)
    summarize(runs, paths)  # validates the files
    plot(runs, args.out)


# ------------------------------------------------------------------ parser
def _data_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", required=True, help="heat-equation HDF5 file (symrepro data heat)")
    p.add_argument("--atlas", type=int, choices=(1, 2), required=True, help="1: 19 charts, 2: 3 charts")
    p.add_argument("--max-samples", type=int, default=None, help="use only the first pairs of the file")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", choices=DEVICE_CHOICES, default="auto")
    p.add_argument("--threads", type=int, default=None, help="torch intra-op threads")
    p.add_argument("--out", required=True)


def _resampling_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--in-resampling", choices=("bilinear", "nearest"), default="bilinear")
    p.add_argument("--out-resampling", choices=("bilinear", "nearest"), default="bilinear")


def register(families) -> None:
    parser = families.add_parser("atlas", help="local symmetry discovery (AtlasD): heat-equation chain")
    steps = parser.add_subparsers(dest="step", required=True, metavar="STEP")

    p = steps.add_parser("train-predictor", help="train the per-chart predictors -> predictor.pt")
    _data_options(p)
    p.add_argument("--lr-predictor", type=float, default=1e-3)
    p.add_argument("--hidden", type=int, default=16)
    p.add_argument("--layers", type=int, default=4)
    p.set_defaults(func=cmd_train_predictor)

    p = steps.add_parser("discover-algebra", help="learn the Lie algebra basis -> algebra.json")
    _data_options(p)
    p.add_argument("--predictor", required=True, help="predictor.pt from train-predictor")
    p.add_argument("--generators", type=int, default=1)
    p.add_argument("--lr-basis", type=float, default=5e-4)
    p.add_argument("--lr-predictor", type=float, default=1e-3)
    p.add_argument("--freeze-predictor", action="store_true", help="skip the predictor pass of each epoch")
    p.add_argument("--r1", type=float, default=0.05, help="weight of the duplicate-generator penalty")
    p.add_argument("--r2", type=float, default=1.0, help="clamp of the basis entries in the magnitude term")
    p.add_argument("--r3", type=float, default=0.1, help="weight of the magnitude reward")
    p.add_argument("--init-std", type=float, default=0.02, help="basis initialisation N(0, std²)")
    _resampling_options(p)
    p.set_defaults(func=cmd_discover_algebra)

    p = steps.add_parser("discover-cosets", help="learn discrete coset representatives -> cosets.json")
    _data_options(p)
    p.add_argument("--predictor", required=True, help="predictor.pt from train-predictor")
    p.add_argument("--algebra", required=True, help="algebra.json from discover-algebra (its 'basis')")
    p.add_argument("--candidates", type=int, default=16)
    p.add_argument("--keep", type=int, default=8)
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--tolerance", type=float, default=0.1,
                   help="identity-component test: largest mean squared error of expm(Σ w_i L_i) against C'C⁻¹")
    p.add_argument("--candidate-chunk", type=int, default=4, help="candidates per forward pass (memory)")
    _resampling_options(p)
    p.set_defaults(func=cmd_discover_cosets)

    for name, help_text, func in (
            ("summarize", "cosine to so(2), cosets, reflection found -> summary.csv", cmd_summarize),
            ("plot", "generators, loss curves and coset representatives -> figure", cmd_plot)):
        p = steps.add_parser(name, help=help_text)
        p.add_argument("--algebra", nargs="+", required=True, help="algebra.json files, one per run")
        p.add_argument("--cosets", nargs="+", required=True, help="cosets.json files, in the same order")
        p.add_argument("--out", required=True)
        p.set_defaults(func=func)
