"""`symrepro downstream <experiment> <step>`: training and evaluation of the models
built from a discovered group. Each entry names a module exposing
`register(subparsers)` that adds the experiment's steps."""

from __future__ import annotations

import importlib

from .schedule import SCHEDULES

DOWNSTREAM: dict[str, str] = {
    "mnist_sphere": "symrepro.downstream.mnist_sphere",
    "climate": "symrepro.downstream.climate",
}


def register(families) -> None:
    parser = families.add_parser("downstream", help="models built from a discovered group (group.json)")
    experiments = parser.add_subparsers(dest="experiment", required=True, metavar="EXPERIMENT")
    for name, module in DOWNSTREAM.items():
        importlib.import_module(module).register(experiments.add_parser(name, help=f"{name}: downstream models"))


def add_training_arguments(p, *, group_help: str, train_help: str, test_help: str, epochs: int, batch_size: int,
                           tolerance_help: str) -> None:
    """The options every downstream `train` step shares: the variant and the group.json it
    is built from, data, optimisation, seed, device and the metrics.json it writes."""
    p.add_argument("--variant", required=True, choices=["baseline", "discovered"])
    p.add_argument("--group", help=group_help)
    p.add_argument("--train", required=True, help=train_help)
    p.add_argument("--test", required=True, help=test_help)
    p.add_argument("--epochs", type=int, default=epochs)
    p.add_argument("--batch-size", type=int, default=batch_size)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--lr-schedule", default="constant", choices=SCHEDULES,
                   help="per-epoch rate: constant (the papers') or cosine (annealed from --lr to 0)")
    p.add_argument("--max-train", type=int, help="use only the first N training samples")
    p.add_argument("--max-test", type=int, help="use only the first N test (and validation) samples")
    p.add_argument("--tolerance", type=float, default=0.15, help=tolerance_help)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto")
    p.add_argument("--threads", type=int)
    p.add_argument("--out", required=True, help="metrics.json")
