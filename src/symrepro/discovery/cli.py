"""`symrepro discovery <step> --experiment NAME …`: the AtlasD chain of any registered
experiment (see `symrepro.discovery.run` for the steps, `artifacts` for the files).

    predictor  --data D                                   -> predictor.pt
    algebra    --data D --predictor P                     -> algebra.json
    cosets     --data D --predictor P --algebra A         -> cosets.json
    group      --algebra A [--cosets C]                   -> group.json
    evaluate   --data D --predictor P                     -> eval.json
    probe      --data D --predictor P [--t T…]            -> probe.json (excess equivariance loss
                                                             along J, diag(1,0), diag(0,1), E12, E21)
    summarize  --groups G… --algebras A…                  -> summary.csv
    plot       --groups G… --algebras A…                  -> figure

Defaults of the hyper-parameters are the AtlasD paper's, read from `Settings`.
"""

from __future__ import annotations

import argparse
import json
import logging

from ..device import DEVICE_CHOICES
from ..errors import InputError
from ..symmetry.membership import DEFAULT_TOLERANCE
from .artifacts import EVAL_FORMAT
from .trainers import Settings

log = logging.getLogger(__name__)
DEFAULTS = Settings()


def _options(pairs: list[str] | None) -> dict:
    """`key=value` strings -> dict; values parsed as JSON when they can be (numbers,
    booleans, lists), else kept as strings."""
    options = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InputError(f"--model expects key=value pairs, got {pair!r}")
        try:
            options[key.replace("-", "_")] = json.loads(value)
        except json.JSONDecodeError:
            options[key.replace("-", "_")] = value
    return options


def _spec(args):
    from ..experiments import get

    return get(args.experiment)


def _settings(args) -> Settings:
    fields = Settings.__dataclass_fields__
    return Settings(**{k: getattr(args, k) for k in fields if getattr(args, k, None) is not None})


def _run_options(args) -> dict:
    return dict(seed=args.seed, device=args.device, threads=args.threads, max_samples=args.max_samples)


# ---------------------------------------------------------------- commands
def cmd_predictor(args) -> None:
    from .run import train_predictor

    train_predictor(_spec(args), args.view, args.data, args.out, options=_options(args.model), epochs=args.epochs,
                    settings=_settings(args), **_run_options(args))


def cmd_algebra(args) -> None:
    from ..atomic import write_json
    from .run import discover_algebra

    payload = discover_algebra(_spec(args), args.view, args.data, args.predictor, generators=args.generators,
                               epochs=args.epochs, settings=_settings(args), **_run_options(args))
    write_json(args.out, payload)


def cmd_cosets(args) -> None:
    from ..atomic import write_json
    from .artifacts import read_algebra
    from .run import discover_cosets

    spec = _spec(args)
    algebra = read_algebra(args.algebra, spec.name, spec.dim)
    payload = discover_cosets(spec, args.view, args.data, args.predictor, algebra["basis"],
                              candidates=args.candidates, keep=args.keep, epochs=args.epochs,
                              tolerance=args.tolerance, settings=_settings(args), **_run_options(args))
    write_json(args.out, payload)


def cmd_group(args) -> None:
    from .artifacts import read_algebra, read_cosets
    from .run import build_group

    spec = _spec(args)
    algebra = read_algebra(args.algebra, spec.name, spec.dim)
    cosets = read_cosets(args.cosets, spec.name) if args.cosets else None
    build_group(spec, algebra, cosets).write(args.out)


def cmd_evaluate(args) -> None:
    from ..atomic import write_json
    from .run import evaluate

    metrics = evaluate(_spec(args), args.view, args.data, args.predictor, device=args.device, threads=args.threads,
                       max_samples=args.max_samples)
    write_json(args.out, {"format": EVAL_FORMAT, "experiment": args.experiment, "view": args.view,
                          "seed": args.seed, "data": str(args.data), "metrics": metrics})
    log.info("evaluation: %s", metrics)


def cmd_probe(args) -> None:
    from .probe import mean_excess, probe, write_probe

    payload = probe(_spec(args), args.view, args.data, args.predictor, t=args.t, batch_size=args.batch_size,
                    seed=args.seed, device=args.device, threads=args.threads, max_samples=args.max_samples,
                    inside=not args.whole_window, shifts=args.shifts, low_pass=args.low_pass)
    write_probe(args.out, payload)
    log.info("probe: mean excess equivariance loss per direction %s (baseline %.6g)",
             {k: round(v, 6) for k, v in mean_excess(payload).items()}, payload["baseline"])


def _runs(args):
    from ..symmetry import MatrixGroup
    from .artifacts import read_algebra

    spec = _spec(args)
    if len(args.groups) != len(args.algebras):
        raise InputError(f"--groups ({len(args.groups)} files) and --algebras ({len(args.algebras)} files) need one "
                         "file each per run")
    return spec, [(MatrixGroup.read(g), read_algebra(a, spec.name, spec.dim)) for g, a in zip(args.groups,
                                                                                            args.algebras)]


def _evaluations(args) -> list[dict] | None:
    from .artifacts import read_json

    if not getattr(args, "evaluations", None):
        return None
    if len(args.evaluations) != len(args.groups):
        raise InputError(f"--evaluations ({len(args.evaluations)} files) needs one file per run ({len(args.groups)})")
    return [read_json(path, EVAL_FORMAT) for path in args.evaluations]


def cmd_summarize(args) -> None:
    from .summary import summarize, write

    spec, runs = _runs(args)
    write(summarize(spec, runs, _evaluations(args)), args.out)


def cmd_plot(args) -> None:
    from .plot import plot
    from .summary import summarize

    spec, runs = _runs(args)
    summarize(spec, runs)  # validates the runs
    plot(spec, runs, args.out)


# ------------------------------------------------------------------ parser
def _run_arguments(p: argparse.ArgumentParser, data: bool = True) -> None:
    p.add_argument("--experiment", required=True, help="a registered experiment (symrepro.experiments)")
    p.add_argument("--view", default="", help="the view (atlas) of the experiment; default: its first")
    if data:
        p.add_argument("--data", required=True, help="the experiment's data file")
        p.add_argument("--max-samples", type=int, default=None, help="use only the first samples of the file")
        p.add_argument("--batch-size", type=int, default=DEFAULTS.batch_size)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", choices=DEVICE_CHOICES, default="auto")
    p.add_argument("--threads", type=int, default=None, help="torch intra-op threads")
    p.add_argument("--out", required=True)


def register(families) -> None:
    parser = families.add_parser("discovery", help="symmetry discovery (AtlasD) for any registered experiment")
    steps = parser.add_subparsers(dest="step", required=True, metavar="STEP")

    p = steps.add_parser("predictor", help="train the (per-chart) predictor -> predictor.pt")
    _run_arguments(p)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--lr-predictor", type=float, default=DEFAULTS.lr_predictor)
    p.add_argument("--model", nargs="*", metavar="KEY=VALUE", help="options of the experiment's predictor")
    p.set_defaults(func=cmd_predictor)

    p = steps.add_parser("algebra", help="learn a Lie algebra basis against the frozen predictor -> algebra.json")
    _run_arguments(p)
    p.add_argument("--predictor", required=True, help="predictor.pt")
    p.add_argument("--generators", type=int, default=1)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--lr-basis", type=float, default=DEFAULTS.lr_basis)
    p.add_argument("--r1", type=float, default=DEFAULTS.r1, help="weight of the duplicate-generator penalty")
    p.add_argument("--r2", type=float, default=DEFAULTS.r2, help="clamp of the basis entries in the magnitude term")
    p.add_argument("--r3", type=float, default=DEFAULTS.r3, help="weight of the magnitude reward")
    p.add_argument("--init-std", type=float, default=DEFAULTS.init_std, help="basis initialisation N(0, std²)")
    p.set_defaults(func=cmd_algebra)

    p = steps.add_parser("cosets", help="learn discrete coset representatives -> cosets.json")
    _run_arguments(p)
    p.add_argument("--predictor", required=True, help="predictor.pt (the one the algebra was found with)")
    p.add_argument("--algebra", required=True, help="algebra.json")
    p.add_argument("--candidates", type=int, default=16)
    p.add_argument("--keep", type=int, default=8)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--lr-cosets", type=float, default=DEFAULTS.lr_cosets)
    p.add_argument("--tolerance", type=float, default=DEFAULT_TOLERANCE,
                   help="identity-component test: largest mean squared error of expm(Σ w_i L_i) against C'C⁻¹")
    p.add_argument("--candidate-chunk", type=int, default=DEFAULTS.candidate_chunk,
                   help="candidates per forward pass (memory)")
    p.set_defaults(func=cmd_cosets)

    p = steps.add_parser("group", help="the discovered group (algebra + coset representatives) -> group.json")
    p.add_argument("--experiment", required=True)
    p.add_argument("--algebra", required=True)
    p.add_argument("--cosets", default=None)
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_group)

    p = steps.add_parser("evaluate", help="metrics of the predictor on a data file -> eval.json")
    _run_arguments(p)
    p.add_argument("--predictor", required=True)
    p.set_defaults(func=cmd_evaluate)

    p = steps.add_parser("probe", help="excess equivariance loss of the predictor along five fixed directions "
                                       "-> probe.json")
    _run_arguments(p)
    p.add_argument("--predictor", required=True)
    p.add_argument("--t", type=float, nargs="+", default=[0.1, 0.25, 0.5],
                   help="magnitudes t: the probe uses g = expm(±t D) for each unit direction D")
    p.add_argument("--shifts", type=int, nargs="+", default=[0],
                   help="average the predictor over the cyclic shifts (a, b) of its input, a, b from these offsets "
                        "(e.g. 0 2 4 6 for a stride-8 network): removes its sub-stride aliasing from the probe")
    p.add_argument("--low-pass", type=float, default=0.0, metavar="SIGMA",
                   help="compare Φ(g·x) and g·Φ(x) after smoothing both by a Gaussian of SIGMA pixels (e.g. half "
                        "the predictor's output stride: removes detail its output grid cannot draw); 0: none")
    p.add_argument("--whole-window", action="store_true",
                   help="score the whole out window, as discovery does (default: only the pixels whose transformed "
                        "position stays inside it; rotations move the square's corners out)")
    p.set_defaults(func=cmd_probe)

    for name, help_text, func in (
            ("summarize", "comparison with the reference group per run -> summary.csv", cmd_summarize),
            ("plot", "generators, losses, span residuals and cosets -> figure", cmd_plot)):
        p = steps.add_parser(name, help=help_text)
        p.add_argument("--experiment", required=True)
        p.add_argument("--groups", nargs="+", required=True, help="group.json files, one per run")
        p.add_argument("--algebras", nargs="+", required=True, help="algebra.json files, in the same order")
        if name == "summarize":
            p.add_argument("--evaluations", nargs="*", default=None, help="eval.json files, in the same order")
        p.add_argument("--out", required=True)
        p.set_defaults(func=func)
