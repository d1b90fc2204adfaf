"""`symrepro downstream <experiment> <step>`: training and evaluation of the models
built from a discovered group. Each entry names a module exposing
`register(subparsers)` that adds the experiment's steps."""

from __future__ import annotations

import importlib

DOWNSTREAM: dict[str, str] = {
    "mnist_sphere": "symrepro.downstream.mnist_sphere",
    "climate": "symrepro.downstream.climate",
}


def register(families) -> None:
    parser = families.add_parser("downstream", help="models built from a discovered group (group.json)")
    experiments = parser.add_subparsers(dest="experiment", required=True, metavar="EXPERIMENT")
    for name, module in DOWNSTREAM.items():
        importlib.import_module(module).register(experiments.add_parser(name, help=f"{name}: downstream models"))
