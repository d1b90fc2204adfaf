"""The files a discovery run writes, read back with validation.

predictor.pt — torch file: {"format": "symrepro.predictor/1", "experiment", "view",
    "seed", "options" (predictor factory arguments), "state_dict", "history"
    (per epoch: epoch, predictor_loss, seconds), "settings"}.
algebra.json — {"format": "symrepro.algebra/1", "experiment", "view", "seed",
    "basis" (m × d × d), "history" (per epoch: epoch, basis_loss, regularization,
    basis_norm, basis_loss_per_norm, basis, seconds), "settings"}.
cosets.json — {"format": "symrepro.cosets/1", "experiment", "view", "seed",
    "algebra" (the basis read from algebra.json), "tolerance", "kept"
    (representatives in loss order: index, matrix, loss, determinant, reflection,
    identity_component, angle for d = 2), "considered" (the best `keep` candidates
    with duplicate_of and mse), "candidates" (all final matrices), "history"
    (per epoch: epoch, losses per candidate, seconds), "settings"}.
group.json — a `MatrixGroup` (symrepro.symmetry.group).
eval.json — {"format": "symrepro.eval/1", "experiment", "view", "seed", "data",
    "metrics" (the experiment's evaluation, e.g. accuracy and ROC AUC)}.
"""

from __future__ import annotations


import numpy as np
import torch

from ..atomic import atomic_path, read_json_object
from ..errors import InputError

PREDICTOR_FORMAT = "symrepro.predictor/1"
ALGEBRA_FORMAT = "symrepro.algebra/1"
COSETS_FORMAT = "symrepro.cosets/1"
EVAL_FORMAT = "symrepro.eval/1"


def read_json(path, expected_format: str) -> dict:
    return read_json_object(path, expected_format)


def matrices(payload: dict, key: str, path, dim: int | None = None) -> np.ndarray:
    if key not in payload:
        raise InputError(f"{path}: missing key {key!r}")
    try:
        array = np.asarray(payload[key], dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise InputError(f"{path}: {key!r} must be a list of square matrices of numbers: {err}") from err
    if array.ndim != 3 or array.shape[0] < 1 or array.shape[1] != array.shape[2]:
        raise InputError(f"{path}: {key!r} must be a non-empty list of d×d matrices, got shape {array.shape}")
    if dim is not None and array.shape[1] != dim:
        raise InputError(f"{path}: {key!r} holds {array.shape[1]}×{array.shape[1]} matrices, the experiment "
                         f"needs {dim}×{dim}")
    if not np.isfinite(array).all():
        raise InputError(f"{path}: {key!r} has non-finite entries")
    return array


def read_algebra(path, experiment: str | None = None, dim: int | None = None) -> dict:
    payload = read_json(path, ALGEBRA_FORMAT)
    if experiment is not None and payload.get("experiment") != experiment:
        raise InputError(f"{path} is a result of experiment {payload.get('experiment')!r}, not {experiment!r}")
    payload["basis"] = matrices(payload, "basis", path, dim)
    return payload


def read_cosets(path, experiment: str | None = None) -> dict:
    payload = read_json(path, COSETS_FORMAT)
    if experiment is not None and payload.get("experiment") != experiment:
        raise InputError(f"{path} is a result of experiment {payload.get('experiment')!r}, not {experiment!r}")
    if not isinstance(payload.get("kept"), list) or not payload["kept"]:
        raise InputError(f"{path}: 'kept' must be a non-empty list of coset representatives")
    return payload


def save_predictor(path, module: torch.nn.Module, **record) -> None:
    with atomic_path(path) as tmp:
        torch.save({"format": PREDICTOR_FORMAT, "state_dict": module.state_dict(), **record}, tmp)


def read_predictor(path) -> dict:
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError as err:
        raise InputError(f"predictor file {path} does not exist") from err
    except (OSError, RuntimeError, EOFError, ValueError) as err:
        raise InputError(f"cannot read the predictor {path}: {err}") from err
    if not isinstance(saved, dict) or saved.get("format") != PREDICTOR_FORMAT:
        raise InputError(f"{path} is not a predictor written by `symrepro discovery predictor`")
    return saved
