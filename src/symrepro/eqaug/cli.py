"""`symrepro eqaug {init,train,aggregate,plot}`: the steps of one dynamics experiment."""

from __future__ import annotations

import argparse
import logging

import torch

from ..atomic import atomic_path
from ..device import DEVICE_CHOICES, select_device, set_threads
from ..errors import InputError
from ..symmetry import GROUPS, make_group
from .architecture import ACTIVATIONS, Architecture
from .task import TASK_LOADERS, load_task

log = logging.getLogger(__name__)


def _add_model_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("group and model")
    g.add_argument("--group", required=True, choices=sorted(GROUPS), help="symmetry group (see symrepro.symmetry)")
    g.add_argument("--group-size", type=int, required=True, help="n: graph nodes or grid side")
    g.add_argument("--channels", type=int, nargs="+", required=True, help="c_0 c_1 ... of the equivariant layers")
    g.add_argument("--invariant-width", type=int, default=None, help="m of the invariant layer (omit: equivariant to the end)")
    g.add_argument("--invariant-activation", choices=sorted(ACTIVATIONS), default="leaky_relu")
    g.add_argument("--no-layer-norm", dest="layer_norm", action="store_false")
    g.add_argument("--head", type=int, nargs="*", default=[], help="widths of the unconstrained head")
    g.add_argument("--init-fan", choices=("in_out", "in"), default="in_out")


def _architecture(args, degree: int) -> Architecture:
    return Architecture(degree=degree, channels=tuple(args.channels), invariant_width=args.invariant_width,
                        invariant_activation=args.invariant_activation, layer_norm=args.layer_norm,
                        head=tuple(args.head), init_fan=args.init_fan)


def _group_and_arch(args):
    group = make_group(args.group, args.group_size)
    return group, _architecture(args, group.degree)


def cmd_init(args) -> None:
    from .starting_point import equivariant_start

    group, arch = _group_and_arch(args)
    state = equivariant_start(arch, group, args.seed)
    with atomic_path(args.out) as tmp:
        torch.save(state, tmp)
    log.info("wrote the equivariant start of seed %d (%s) to %s", args.seed, ", ".join(
        f"{k} {tuple(v.shape)}" for k, v in state.items()), args.out)


def _load_state(path) -> dict[str, torch.Tensor]:
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, EOFError) as err:
        raise InputError(f"cannot read the initial state {path}: {err}") from err
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise InputError(f"{path} is not a state dict of tensors")
    return state


def cmd_train(args) -> None:
    from .metrics import runs_frame, write_csv
    from .training import Settings, Trainer

    set_threads(args.threads)
    device = select_device(args.device)
    group, arch = _group_and_arch(args)
    settings = Settings(epochs=args.epochs, lr=args.lr, augment_passes=args.augment_passes,
                        augment_per=args.augment_per, batch_size=args.batch_size, chunk_size=args.chunk_size)
    task = load_task(args.task, args.data)
    trainer = Trainer(arch, task, group, settings, device)
    log.info("%s %s seed %d on %s (%d threads): %d samples, %d epochs", args.experiment, args.regime, args.seed,
             device, torch.get_num_threads(), len(task), args.epochs)
    rows = trainer.run(_load_state(args.init), args.regime, args.seed)
    write_csv(runs_frame(args.experiment, args.seed, args.regime, rows), args.out)
    if args.save_final:
        with atomic_path(args.save_final) as tmp:
            torch.save(trainer.final_state, tmp)


def cmd_aggregate(args) -> None:
    from .metrics import check_claim, read_runs, summarize, write_csv

    metrics = read_runs(args.inputs)
    summary = summarize(metrics)
    if args.check_claim:  # before writing: a run that does not reproduce the claim leaves no summary
        for experiment, numbers in check_claim(summary).items():
            log.info("%s: the claim holds at the last epoch: median distance from E %s", experiment,
                     ", ".join(f"{k} {v:.4g}" for k, v in numbers.items()))
    write_csv(metrics, args.metrics)
    write_csv(summary, args.summary)


def cmd_plot(args) -> None:
    from .figure import plot
    from .metrics import read_runs

    titles = args.titles or [str(m) for m in args.metrics]
    if len(titles) != len(args.metrics):
        raise InputError(f"--titles needs one title per --metrics file ({len(args.metrics)}), got {len(titles)}")
    plot([read_runs([m]) for m in args.metrics], titles, args.out)


def cmd_benchmark(args) -> None:
    from . import benchmark
    from .training import Settings

    set_threads(args.threads)
    device = select_device(args.device)
    group, arch = _group_and_arch(args)
    settings = Settings(epochs=1, lr=1e-6, augment_passes=args.augment_passes, augment_per=args.augment_per,
                        batch_size=args.batch_size, chunk_size=args.chunk_size)
    peak = benchmark.matmul_rate() if device.type == "cpu" else float("nan")
    rows = benchmark.run(arch, group, args.n_samples, settings, device)
    print(f"{group.name}, channels {list(arch.channels)}, {args.n_samples} samples, L = {args.augment_passes}, "
          f"chunk {args.chunk_size}, {torch.get_num_threads()} threads on {device}")
    print(f"fp32 matmul (4096^3) on this machine: {peak:.1f} GFLOP/s")
    print(f"{'regime':<12} {'seconds':>9} {'GFLOP':>9} {'GFLOP/s':>9} {'of matmul':>10}")
    for r in rows:
        print(f"{r['regime']:<12} {r['seconds']:9.2f} {r['gflop']:9.1f} {r['gflops']:9.1f} {r['gflops'] / peak:10.0%}")


def register(families) -> None:
    parser = families.add_parser("eqaug", help="equivariance vs augmentation dynamics")
    steps = parser.add_subparsers(dest="step", required=True, metavar="STEP")

    p = steps.add_parser("init", help="write the projected starting weights of one seed")
    _add_model_arguments(p)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--out", required=True, help="init.pt")
    p.set_defaults(func=cmd_init)

    p = steps.add_parser("train", help="train one regime from init.pt and write its per-epoch CSV")
    _add_model_arguments(p)
    p.add_argument("--experiment", required=True, help="experiment key written to the CSV")
    p.add_argument("--task", required=True, choices=sorted(TASK_LOADERS), help="how to read --data")
    p.add_argument("--data", required=True, help="dataset HDF5 file")
    p.add_argument("--init", required=True, help="init.pt from `eqaug init`")
    p.add_argument("--regime", required=True, choices=("equivariant", "augmented", "nominal"))
    p.add_argument("--seed", type=int, required=True)
    t = p.add_argument_group("training")
    t.add_argument("--epochs", type=int, required=True)
    t.add_argument("--lr", type=float, required=True)
    t.add_argument("--augment-passes", type=int, default=25, help="L")
    t.add_argument("--augment-per", choices=("sample", "batch"), default="sample")
    t.add_argument("--batch-size", type=int, default=25)
    t.add_argument("--chunk-size", type=int, default=5000)
    t.add_argument("--device", choices=DEVICE_CHOICES, default="auto")
    t.add_argument("--threads", type=int, default=None)
    p.add_argument("--out", required=True, help="{regime}.csv")
    p.add_argument("--save-final", default=None, help="optionally save the final weights here")
    p.set_defaults(func=cmd_train)

    p = steps.add_parser("benchmark", help="time one epoch of each regime on random data; report GFLOP/s")
    _add_model_arguments(p)
    p.add_argument("--n-samples", type=int, default=2000)
    p.add_argument("--augment-passes", type=int, default=1)
    p.add_argument("--augment-per", choices=("sample", "batch"), default="batch")
    p.add_argument("--batch-size", type=int, default=25)
    p.add_argument("--chunk-size", type=int, default=2000)
    p.add_argument("--device", choices=DEVICE_CHOICES, default="auto")
    p.add_argument("--threads", type=int, default=None)
    p.set_defaults(func=cmd_benchmark)

    p = steps.add_parser("aggregate", help="stack run CSVs into metrics.csv and summarise over seeds")
    p.add_argument("--inputs", nargs="+", required=True)
    p.add_argument("--metrics", required=True)
    p.add_argument("--summary", required=True)
    p.add_argument("--check-claim", action="store_true",
                   help="fail unless, at the last epoch, the equivariant runs are in E and the augmented median "
                        "distance from E is below the nominal one")
    p.set_defaults(func=cmd_aggregate)

    p = steps.add_parser("plot", help="draw the distance figure from metrics CSVs")
    p.add_argument("--metrics", nargs="+", required=True, help="one metrics.csv per panel group")
    p.add_argument("--titles", nargs="*", default=None)
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_plot)
