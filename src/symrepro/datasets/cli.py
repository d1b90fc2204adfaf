"""`symrepro data <name>`: make one dataset file. Each entry names an object (a
module or a class) with a docstring whose first line is the help text,
`add_arguments(parser)` and `run(args)`; every command also takes `--threads`."""

from __future__ import annotations

import importlib

DATASETS = {
    "perm": "symrepro.datasets.stochastic_block",
    "mnist-idx": "symrepro.datasets.mnist:Idx",
    "mnist14": "symrepro.datasets.mnist:Resized",
    "shapes": "symrepro.datasets.shapes",
    "heat": "symrepro.datasets.heat",
    "mnist-sphere": "symrepro.datasets.mnist_sphere",
    "toptag": "symrepro.datasets.toptag",
    "climate": "symrepro.datasets.climate",
}


def _load(target: str):
    module_name, _, attr = target.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attr) if attr else module


def register(families) -> None:
    parser = families.add_parser("data", help="generate or download a dataset into one HDF5 file")
    names = parser.add_subparsers(dest="dataset", required=True, metavar="DATASET")
    for name, target in DATASETS.items():
        command = _load(target)
        sub = names.add_parser(name, help=(command.__doc__ or "").strip().splitlines()[0])
        command.add_arguments(sub)
        sub.add_argument("--threads", type=int, default=None, help="torch intra-op threads")
        sub.set_defaults(func=_with_threads(command.run))


def _with_threads(run):
    def call(args):
        from ..device import set_threads

        set_threads(args.threads)
        run(args)
    return call
