# Shared helpers: config validation, target lists, and CLI-argument builders.
# Rules pass every hyper-parameter through `params:` so that Snakemake reruns a
# job exactly when a value it depends on changes.

import os
import shlex

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate


validate(config, schema="../schemas/config.schema.yaml")

# When --cores exceeds this machine's CPUs (e.g. `--cores 8` on a 2-core laptop),
# concurrent jobs share CPUs; OpenMP threads that spin while waiting then steal them
# from each other. Measured: four concurrent 2-thread perm jobs on 2 CPUs finish in
# 16.8 s with passive waiting vs 29.4 s with the default (sequentially: 22 s).
def _local_cores():
    try:
        return workflow.cores
    except WorkflowError:  # cluster executors define no local core count
        return None


if (_local_cores() or 0) > (os.cpu_count() or 1):
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

REGIMES = config["eqaug"]["regimes"]


def cli_args(options):
    """Render a dict as `--key value` options (lists become several values,
    booleans become flags, None is left out); keys use dashes."""
    parts = []
    for key, value in options.items():
        flag = f"--{key.replace('_', '-')}"
        if value is None or value is False:
            continue
        if value is True:
            parts.append(flag)
        elif isinstance(value, (list, tuple)):
            parts.append(" ".join([flag, *(shlex.quote(str(v)) for v in value)]))
        else:
            parts.append(f"{flag} {shlex.quote(str(value))}")
    return " ".join(parts)


# ------------------------------------------------------------------- eqaug
def eqaug_experiments():
    """Enabled experiments of the dynamics paper, in config order."""
    return [name for name, exp in config["eqaug"]["experiments"].items() if exp.get("enabled", True)]


def eqaug(experiment):
    return config["eqaug"]["experiments"][experiment]


def eqaug_seeds(experiment):
    return list(range(eqaug(experiment)["seeds"]))


def eqaug_dataset_file(experiment):
    return f"data/eqaug/{eqaug(experiment)['dataset']}.h5"


def eqaug_dataset_args(dataset):
    return cli_args(config["eqaug"]["datasets"].get(dataset, {}))


MNIST_FILES = [
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
]


def mnist_idx_args():
    """Options of `symrepro data mnist-idx`; mirrors become repeated --mirror."""
    options = dict(config["eqaug"]["datasets"].get("mnist", {"source": "synthetic"}))
    mirrors = options.pop("mirrors", [])
    return " ".join([cli_args(options), *(f"--mirror {shlex.quote(m)}" for m in mirrors)])


def eqaug_model_args(experiment):
    model = dict(eqaug(experiment)["model"])
    layer_norm = model.pop("layer_norm", True)
    args = cli_args(model)
    return args if layer_norm else f"{args} --no-layer-norm"


def eqaug_train_args(experiment):
    return cli_args(eqaug(experiment)["train"] | {"device": config["device"]})


def eqaug_run_files(experiment):
    return expand(
        "results/eqaug/{experiment}/seed{seed}/{regime}.csv",
        experiment=experiment,
        seed=eqaug_seeds(experiment),
        regime=REGIMES,
    )


def eqaug_resource(experiment, key):
    return eqaug(experiment)["resources"][key]


def eqaug_figure_of(experiment):
    """Experiments sharing a `figure` name are drawn as panels of one figure."""
    return eqaug(experiment).get("figure", experiment)


def eqaug_figure_names():
    return list(dict.fromkeys(eqaug_figure_of(e) for e in eqaug_experiments()))


def eqaug_figure_experiments(figure):
    return [e for e in eqaug_experiments() if eqaug_figure_of(e) == figure]


def eqaug_figure_metrics(figure):
    return [f"results/eqaug/{e}/metrics.csv" for e in eqaug_figure_experiments(figure)]


# ------------------------------------------------------------------- atlas
def atlas_pde():
    return config.get("atlas", {}).get("pde", {"enabled": False})


def atlas_step_args(step):
    """CLI options of one step; `device` comes from the top level."""
    return cli_args(atlas_pde()[step] | {"device": config["device"]})


def atlas_resource(key):
    return atlas_pde()["resources"][key]


def atlas_run_files(name):
    pde = atlas_pde()
    return expand(
        "results/atlas/pde/atlas{atlas}/seed{seed}/{name}",
        atlas=pde["atlases"],
        seed=range(pde["seeds"]),
        name=name,
    )


# ----------------------------------------------------------------- targets
def all_targets():
    targets = [f"results/eqaug/{e}/summary.csv" for e in eqaug_experiments()]
    targets += [f"results/figures/{f}.pdf" for f in eqaug_figure_names()]
    if atlas_pde().get("enabled", True):
        targets += ["results/atlas/pde/summary.csv", "results/figures/pde.pdf"]
    return targets
