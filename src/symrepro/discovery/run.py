"""The steps of a discovery run for any registered experiment (no argparse here):

    train_predictor   data                         -> predictor.pt
    discover_algebra  data, predictor.pt           -> algebra.json
    discover_cosets   data, predictor.pt, algebra  -> cosets.json
    build_group       algebra.json [, cosets.json] -> group.json (a MatrixGroup)
    evaluate          data, predictor.pt           -> metrics (experiments with `evaluate`)

Every step reseeds torch (module initialisation) and uses its own seeded CPU
generator (data order, group sampling, candidates): the same seed on the CPU gives
the same numbers. The predictor saved by `train_predictor` is the one the algebra
AND the cosets are measured against (it is frozen afterwards).
"""

from __future__ import annotations

import inspect
import logging

import numpy as np
import torch

from ..device import select_device, set_threads
from ..errors import InputError
from ..experiments import ExperimentSpec
from ..symmetry import MatrixGroup
from .artifacts import ALGEBRA_FORMAT, COSETS_FORMAT, read_predictor, save_predictor
from .cosets import CosetCandidates, select_representatives
from .lie_algebra import LieAlgebraBasis
from .trainers import GlobalTrainer, LocalTrainer, Settings, SymmetryTrainer

log = logging.getLogger(__name__)


def set_up(seed: int, threads: int | None = None, device: str = "auto") -> tuple[torch.device, torch.Generator]:
    """Threads, device and seeds: torch's global generator initialises modules; the
    returned CPU generator drives data order and group sampling."""
    set_threads(threads)
    chosen = select_device(device)
    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)
    return chosen, torch.Generator().manual_seed(seed)


def load_data(spec: ExperimentSpec, path, max_samples: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    inputs, targets = spec.load(path)
    if max_samples is not None:
        if max_samples < 1:
            raise InputError(f"max_samples must be >= 1, got {max_samples}")
        inputs, targets = inputs[:max_samples], targets[:max_samples]
    return inputs, targets


def make_predictor(spec: ExperimentSpec, view, options: dict) -> torch.nn.Module:
    """spec.predictor(view, **options); an unknown option is an InputError naming it."""
    accepted = inspect.signature(spec.predictor).parameters
    if not any(p.kind is p.VAR_KEYWORD for p in accepted.values()):
        unknown = sorted(set(options) - set(accepted) - {"view"})
        if unknown:
            known = sorted(set(accepted) - {"view"})
            raise InputError(f"experiment {spec.name!r}: unknown predictor option(s) {unknown}; known: {known}")
    return spec.predictor(view, **options)


def trainer_for(spec: ExperimentSpec, view, predictor, settings: Settings, device) -> SymmetryTrainer:
    if getattr(view, "local", True):
        trainer = LocalTrainer(view, predictor, settings, device, spec.task_loss, spec.equivariance_loss,
                               spec.logits, spec.in_resampling, spec.out_resampling, spec.class_dim)
    else:
        trainer = GlobalTrainer(predictor, settings, device, spec.task_loss, spec.equivariance_loss, spec.logits,
                                spec.class_dim)
    trainer.target_transform = spec.target_transform
    return trainer


def load_predictor(spec: ExperimentSpec, view_name: str, path, device) -> torch.nn.Module:
    saved = read_predictor(path)
    if saved.get("experiment") != spec.name or saved.get("view") != view_name:
        raise InputError(f"{path} was trained for experiment {saved.get('experiment')!r}, view "
                         f"{saved.get('view')!r}, not experiment {spec.name!r}, view {view_name!r}")
    module = make_predictor(spec, spec.view(view_name), dict(saved.get("options") or {}))
    try:
        module.load_state_dict(saved["state_dict"])
    except (RuntimeError, KeyError) as err:
        raise InputError(f"cannot rebuild the predictor from {path}: {err}") from err
    return module.to(device).eval()


def train_predictor(spec: ExperimentSpec, view_name: str, data, out, *, options: dict, epochs: int,
                    settings: Settings, seed: int, device: str = "auto", threads: int | None = None,
                    max_samples: int | None = None) -> list[dict]:
    chosen, generator = set_up(seed, threads, device)
    view = spec.view(view_name)
    inputs, targets = load_data(spec, data, max_samples)
    module = make_predictor(spec, view, options).to(chosen)
    trainer = trainer_for(spec, view, module, settings, chosen)
    history = trainer.train_predictor(inputs, targets, epochs, generator)
    save_predictor(out, module, experiment=spec.name, view=view_name, seed=seed, options=options, history=history,
                   settings=settings.as_dict() | {"epochs": epochs, "max_samples": max_samples})
    return history


def discover_algebra(spec: ExperimentSpec, view_name: str, data, predictor_path, *, generators: int, epochs: int,
                     settings: Settings, seed: int, device: str = "auto", threads: int | None = None,
                     max_samples: int | None = None) -> dict:
    chosen, generator = set_up(seed, threads, device)
    inputs, _ = load_data(spec, data, max_samples)
    predictor = load_predictor(spec, view_name, predictor_path, chosen)
    basis = LieAlgebraBasis(generators, spec.dim, generator, init_std=settings.init_std).to(chosen)
    trainer = trainer_for(spec, spec.view(view_name), predictor, settings, chosen)
    history = trainer.discover_algebra(basis, inputs, epochs, generator)
    return {"format": ALGEBRA_FORMAT, "experiment": spec.name, "view": view_name, "seed": seed,
            "basis": basis.basis.detach().cpu().double().numpy().tolist(), "history": history,
            "settings": settings.as_dict() | {"epochs": epochs, "generators": generators,
                                              "max_samples": max_samples}}


def discover_cosets(spec: ExperimentSpec, view_name: str, data, predictor_path, algebra: np.ndarray, *,
                    candidates: int, keep: int, epochs: int, tolerance: float, settings: Settings, seed: int,
                    device: str = "auto", threads: int | None = None, max_samples: int | None = None) -> dict:
    if not 1 <= keep <= candidates:
        raise InputError(f"keep must be between 1 and candidates ({candidates}), got {keep}")
    if tolerance <= 0:
        raise InputError(f"tolerance must be > 0, got {tolerance}")
    chosen, generator = set_up(seed, threads, device)
    inputs, _ = load_data(spec, data, max_samples)
    predictor = load_predictor(spec, view_name, predictor_path, chosen)
    pool = CosetCandidates(candidates, spec.dim, generator).to(chosen)
    trainer = trainer_for(spec, spec.view(view_name), predictor, settings, chosen)
    history = trainer.discover_cosets(pool, inputs, epochs, generator)
    final = pool.matrices().detach().cpu().double().numpy()
    losses = np.asarray(history[-1]["losses"]) if history else np.zeros(len(final))
    kept, considered = select_representatives(final, losses, keep, algebra, tolerance)
    log.info("kept %d coset representatives: %s", len(kept),
             [f"det {k['determinant']:+.2f}" + (f", angle {k['angle']:.1f}°" if "angle" in k else "") for k in kept])
    return {"format": COSETS_FORMAT, "experiment": spec.name, "view": view_name, "seed": seed,
            "algebra": np.asarray(algebra).tolist(), "tolerance": tolerance, "kept": kept,
            "considered": considered, "candidates": final.tolist(), "history": history,
            "settings": settings.as_dict() | {"epochs": epochs, "candidates": candidates, "keep": keep,
                                              "max_samples": max_samples}}


def build_group(spec: ExperimentSpec, algebra: dict, cosets: dict | None = None) -> MatrixGroup:
    """The discovered group: the algebra's basis and, as discrete generators, the kept
    coset representatives outside the identity component (the identity coset's
    representative adds nothing). Provenance and the kept cosets go into metadata."""
    basis = np.asarray(algebra["basis"], dtype=np.float64)
    metadata = {"experiment": spec.name, "view": algebra.get("view", ""), "seed": algebra.get("seed"),
                "final_basis_loss": (algebra.get("history") or [{}])[-1].get("basis_loss"),
                "reference": spec.reference().name}
    discrete = np.zeros((0, spec.dim, spec.dim))
    if cosets is not None:
        if cosets.get("seed") != algebra.get("seed") or cosets.get("view") != algebra.get("view"):
            raise InputError(f"the cosets (view {cosets.get('view')!r}, seed {cosets.get('seed')}) do not belong to "
                             f"the algebra (view {algebra.get('view')!r}, seed {algebra.get('seed')})")
        if not np.allclose(np.asarray(cosets["algebra"], dtype=np.float64), basis):
            raise InputError("the cosets were selected against another algebra than the one given")
        outside = [k for k in cosets["kept"] if not k.get("identity_component", False)]
        if outside:
            discrete = np.asarray([k["matrix"] for k in outside], dtype=np.float64)
        metadata["cosets"] = [{key: k.get(key) for key in ("matrix", "loss", "determinant", "identity_component")}
                              for k in cosets["kept"]]
    name = f"discovered {spec.name}" + (f" {algebra.get('view')}" if algebra.get("view") else "") \
        + f" seed {algebra.get('seed')}"
    return MatrixGroup(name, basis, discrete, spec.acts_on, metadata)


def evaluate(spec: ExperimentSpec, view_name: str, data, predictor_path, *, device: str = "auto",
             threads: int | None = None, max_samples: int | None = None) -> dict:
    if spec.evaluate is None:
        raise InputError(f"experiment {spec.name!r} has no evaluation")
    chosen, _ = set_up(0, threads, device)
    inputs, targets = load_data(spec, data, max_samples)
    predictor = load_predictor(spec, view_name, predictor_path, chosen)
    with torch.no_grad():
        return spec.evaluate(predictor, spec.view(view_name), inputs, targets)
