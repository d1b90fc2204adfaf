"""`symrepro data <name>`: make one dataset file. One module per dataset; each
exposes `add_arguments(parser)` and `run(args)`."""

from __future__ import annotations

import importlib

DATASETS = {
    "perm": "symrepro.datasets.stochastic_block",
}


def register(families) -> None:
    parser = families.add_parser("data", help="generate or download a dataset into one HDF5 file")
    names = parser.add_subparsers(dest="dataset", required=True, metavar="DATASET")
    for name, module_name in DATASETS.items():
        module = importlib.import_module(module_name)
        sub = names.add_parser(name, help=(module.__doc__ or "").strip().splitlines()[0])
        module.add_arguments(sub)
        sub.set_defaults(func=module.run)
