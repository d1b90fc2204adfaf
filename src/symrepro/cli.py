"""Command-line interface: `symrepro <family> <step> [options]`.

Every Snakemake rule calls one of these commands with its `params:`, so each step
also runs (and is tested) without Snakemake. Each experiment family registers its
own sub-commands from its `cli` module.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from .allocator import keep_freed_memory
from .errors import ClaimNotReproduced, InputError

# family name -> module exposing `register(subparsers)`; each sub-command sets
# `func(args)` as its handler.
FAMILIES = {
    "data": "symrepro.datasets.cli",
    "eqaug": "symrepro.eqaug.cli",
    "discovery": "symrepro.discovery.cli",
    "downstream": "symrepro.downstream.cli",
    "liegan": "symrepro.liegan.train",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="symrepro", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    families = parser.add_subparsers(dest="family", required=True, metavar="FAMILY")
    for name, module in FAMILIES.items():
        importlib.import_module(module).register(families)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    keep_freed_memory()
    try:
        args.func(args)
    except InputError as err:
        print(f"symrepro: error: {err}", file=sys.stderr)
        return 2
    except ClaimNotReproduced as err:
        print(f"symrepro: the paper's claim is not reproduced: {err}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
