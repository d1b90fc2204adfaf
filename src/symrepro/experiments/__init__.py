"""Registry of the discovery experiments: name -> module exposing `SPEC` (an
`ExperimentSpec`). Adding an experiment = one module here + one dataset module +
one config block (see README, "Adding a discovery experiment")."""

from __future__ import annotations

import importlib

from ..errors import InputError
from .spec import GLOBAL, ExperimentSpec, GlobalView

EXPERIMENTS = {
    "pde": "symrepro.experiments.pde",
    "mnist_sphere": "symrepro.experiments.mnist_sphere",
    "toptag": "symrepro.experiments.toptag",
    "climate": "symrepro.experiments.climate",
}


def get(name: str) -> ExperimentSpec:
    if name not in EXPERIMENTS:
        raise InputError(f"unknown experiment {name!r}; known: {sorted(EXPERIMENTS)}")
    return importlib.import_module(EXPERIMENTS[name]).SPEC


__all__ = ["EXPERIMENTS", "get", "ExperimentSpec", "GlobalView", "GLOBAL"]
