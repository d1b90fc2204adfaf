# Shared helpers: config validation, path prefixes, target lists and CLI-argument
# builders. Rules pass every hyper-parameter through `params:` so that Snakemake
# reruns a job exactly when a value it depends on changes.

import json
import os
import shlex

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate


validate(config, schema="../schemas/config.schema.yaml")

# Every configuration writes under its own prefixes (config `paths`): the paper-scale
# default under data/, results/, logs/, benchmarks/; config/quick.yaml and the .test
# config under their own sub-directories, so that a quick or test run never plans
# anything over paper-scale outputs (and vice versa).
DATA = config["paths"]["data"]
RESULTS = config["paths"]["results"]
LOGS = config["paths"]["logs"]
BENCHMARKS = config["paths"]["benchmarks"]


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


def _render(value):
    if isinstance(value, dict):  # key=value pairs, keys sorted (canonical)
        return " ".join(shlex.quote(f"{k}={json.dumps(v) if not isinstance(v, str) else v}")
                        for k, v in sorted(value.items()))
    if isinstance(value, (list, tuple)):
        return " ".join(shlex.quote(str(v)) for v in value)
    return shlex.quote(str(value))


def cli_args(options):
    """Render a dict as `--key value` options in CANONICAL (sorted) key order, so that
    reordering keys in a config file changes no `params:` and reruns nothing. Lists
    become several values (their order kept), dicts `key=value` pairs (sorted),
    booleans flags, None is left out; keys use dashes."""
    parts = []
    for key in sorted(options):
        value = options[key]
        flag = f"--{key.replace('_', '-')}"
        if value is None or value is False:
            continue
        parts.append(flag if value is True else f"{flag} {_render(value)}")
    return " ".join(parts)


def resources_of(block, key):
    return block["resources"][key]


# ---------------------------------------------------------------- datasets
MNIST_FILES = [
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
]
MNIST_RAW = f"{DATA}/mnist/raw"
# keys of a dataset entry that describe the rule rather than the command's options
DATASET_KEYS = ("command", "inputs", "raw_dir")


def dataset(name):
    try:
        return config["datasets"][name]
    except KeyError:
        raise WorkflowError(f"config: no entry datasets.{name} (needed for {DATA}/{name}.h5)")


def dataset_file(name):
    return f"{DATA}/{name}.h5"


def dataset_names():
    """Datasets made by the generic rule (everything but the raw MNIST files)."""
    return [name for name in config.get("datasets", {}) if name != "mnist"]


def dataset_inputs(name):
    inputs = dataset(name).get("inputs", [])
    return [f"{MNIST_RAW}/{f}" for f in MNIST_FILES] if "mnist" in inputs else []


def dataset_args(name):
    entry = dataset(name)
    options = {k: v for k, v in entry.items() if k not in DATASET_KEYS}
    if "mnist" in entry.get("inputs", []):
        options["raw_dir"] = MNIST_RAW
    elif entry.get("raw_dir"):  # one raw directory per data set: stand-ins of one command never collide
        options["raw_dir"] = f"{DATA}/raw/{name}"
    return f"{entry.get('command', name)} {cli_args(options)}"


def mnist_idx_args():
    """Options of `symrepro data mnist-idx`; mirrors become repeated --mirror."""
    options = dict(config["datasets"].get("mnist", {"source": "synthetic"}))
    mirrors = options.pop("mirrors", [])
    return " ".join([cli_args(options), *(f"--mirror {shlex.quote(m)}" for m in mirrors)])


# ------------------------------------------------------------------- eqaug
REGIMES = config["eqaug"]["regimes"]


def eqaug_experiments():
    """Enabled experiments of the dynamics paper, in config order."""
    return [name for name, exp in config["eqaug"]["experiments"].items() if exp.get("enabled", True)]


def eqaug(experiment):
    return config["eqaug"]["experiments"][experiment]


def eqaug_seeds(experiment):
    return list(range(eqaug(experiment)["seeds"]))


def eqaug_model_args(experiment):
    model = dict(eqaug(experiment)["model"])
    layer_norm = model.pop("layer_norm", True)
    args = cli_args(model)
    return args if layer_norm else f"{args} --no-layer-norm"


def eqaug_train_args(experiment):
    return cli_args(eqaug(experiment)["train"] | {"device": config["device"]})


def eqaug_run_files(experiment):
    return expand(
        f"{RESULTS}/eqaug/{{experiment}}/seed{{seed}}/{{regime}}.csv",
        experiment=experiment,
        seed=eqaug_seeds(experiment),
        regime=REGIMES,
    )


def eqaug_figure_of(experiment):
    """Experiments sharing a `figure` name are drawn as panels of one figure."""
    return eqaug(experiment).get("figure", experiment)


def eqaug_figure_names():
    return list(dict.fromkeys(eqaug_figure_of(e) for e in eqaug_experiments()))


def eqaug_figure_experiments(figure):
    """The panels of a figure, sorted by experiment name (canonical: reordering the
    config's keys changes nothing)."""
    return sorted(e for e in eqaug_experiments() if eqaug_figure_of(e) == figure)


def eqaug_figure_metrics(figure):
    return [f"{RESULTS}/eqaug/{e}/metrics.csv" for e in eqaug_figure_experiments(figure)]


# --------------------------------------------------------------- discovery
def discovery_experiments():
    experiments = config.get("discovery", {}).get("experiments", {})
    return [name for name, exp in experiments.items() if exp.get("enabled", True)]


def discovery(experiment):
    return config["discovery"]["experiments"][experiment]


def discovery_views():
    """Every view name that appears in a run directory (e.g. atlas1), for the wildcard."""
    names = {v for e in discovery_experiments() for v in discovery(e).get("views", []) if v}
    return sorted(names) or ["NONE"]


def discovery_runs(experiment):
    """Run directories `{view}/seed{S}` (or `seed{S}` for single-view experiments)."""
    block = discovery(experiment)
    views = block.get("views") or [""]
    return [f"{v}/seed{s}" if v else f"seed{s}" for v in views for s in range(block["seeds"])]


def discovery_run_files(experiment, name):
    return [f"{RESULTS}/discovery/{experiment}/{run}/{name}" for run in discovery_runs(experiment)]


def view_of(run):
    return os.path.dirname(run)


def seed_of(run):
    return int(os.path.basename(run).removeprefix("seed"))


def spec_name(block):
    """The registered experiment a discovery block runs: its `experiment` key, else its own
    name (a block such as `climate_control` runs `climate` on other data)."""
    return discovery(block).get("experiment", block)


def discovery_run_arguments(wildcards):
    view = view_of(wildcards.run) or discovery(wildcards.experiment).get("view", "")
    return f"--experiment {spec_name(wildcards.experiment)} --view '{view}' --seed {seed_of(wildcards.run)}"


def discovery_evaluations(experiment):
    return discovery_run_files(experiment, "eval.json") if experiment in discovery_with_evaluation() else []


def discovery_data(experiment, role="train"):
    return dataset_file(discovery(experiment)["data"][role])


def discovery_step_args(experiment, step):
    """CLI options of one step from the experiment's block; `device` from the top level."""
    options = dict(discovery(experiment)[step])
    return cli_args(options | {"device": config["device"]})


def discovery_with_cosets():
    return [e for e in discovery_experiments() if discovery(e).get("cosets")]


def discovery_cosets_input(wildcards):
    if discovery(wildcards.experiment).get("cosets"):
        return f"{RESULTS}/discovery/{wildcards.experiment}/{wildcards.run}/cosets.json"
    return []


def discovery_with_figure():
    return [e for e in discovery_experiments() if discovery(e).get("figure", True)]


def discovery_with_probe():
    return [e for e in discovery_experiments() if discovery(e).get("probe")]


def discovery_probes(experiment):
    return discovery_run_files(experiment, "probe.json") if experiment in discovery_with_probe() else []


def discovery_with_evaluation():
    return [e for e in discovery_experiments() if "eval" in discovery(e)["data"]]


def regex(names):
    return "|".join(names) or "NONE"


# ----------------------------------------------------------------- targets
def all_targets():
    targets = [f"{RESULTS}/eqaug/{e}/summary.csv" for e in eqaug_experiments()]
    targets += [f"{RESULTS}/figures/{f}.pdf" for f in eqaug_figure_names()]
    for e in discovery_experiments():
        targets.append(f"{RESULTS}/discovery/{e}/summary.csv")
        if e in discovery_with_figure():
            targets.append(f"{RESULTS}/figures/{e}.pdf")
    sphere = config.get("downstream", {}).get("mnist_sphere", {})
    if sphere.get("enabled", False):
        targets += [f"{RESULTS}/downstream/mnist_sphere/summary.csv", f"{RESULTS}/figures/mnist_sphere.pdf"]
    if config.get("downstream", {}).get("climate", {}).get("enabled", False):
        targets += [f"{RESULTS}/downstream/climate/summary.csv", f"{RESULTS}/figures/climate.pdf"]
        if climate().get("probe_verdict"):
            targets.append(f"{RESULTS}/downstream/climate/probes.csv")
    return targets


# ------------------------------------------------- downstream: mnist_sphere
def sphere():
    return config["downstream"]["mnist_sphere"]


def sphere_seeds():
    return range(sphere()["seeds"])


def sphere_cnn_settings(variant):
    """The `cnn` block as the CLI options of one variant: `baseline_epochs`, when given,
    replaces `epochs` for the baseline."""
    settings = dict(sphere()["cnn"])
    baseline_epochs = settings.pop("baseline_epochs", None)
    if variant == "baseline" and baseline_epochs is not None:
        settings["epochs"] = baseline_epochs
    return settings


def sphere_data(role):
    return dataset_file(sphere()["data"][role])


def sphere_files(pattern):
    return [pattern.format(seed=s) for s in sphere_seeds()]


SPHERE_LIEGAN = f"{RESULTS}/discovery/mnist_sphere/liegan/seed{{seed}}"
SPHERE_CNN = f"{RESULTS}/downstream/mnist_sphere/{{variant}}/seed{{seed}}"


def sphere_inputs():
    return dict(
        groups=sphere_files(f"{RESULTS}/discovery/mnist_sphere/seed{{seed}}/group.json"),
        liegan=sphere_files(f"{SPHERE_LIEGAN}/group.json"),
        metrics=[f for v in ("baseline", "discovered") for f in sphere_files(os.path.join(SPHERE_CNN.replace("{variant}", v), "metrics.json"))],
    )


# ------------------------------------------------------ downstream: climate
def climate():
    return config["downstream"]["climate"]


def climate_data(role):
    return dataset_file(climate()["data"][role])


CLIMATE_UNET = f"{RESULTS}/downstream/climate/{{variant}}/seed{{seed}}"


def climate_group(seed):
    """group.json of the discovery run the discovered U-Net is built from."""
    block = climate()["group_from"]
    return f"{RESULTS}/discovery/{block}/seed{seed}/group.json"


def climate_metrics():
    return [f"{RESULTS}/downstream/climate/{v}/seed{s}/metrics.json"
            for v in ("baseline", "discovered") for s in range(climate()["seeds"])]


def climate_verdict_probe(role):
    """probe.json (seed 0) of the `symmetric` or `control` block of `probe_verdict`."""
    return f"{RESULTS}/discovery/{climate()['probe_verdict'][role]}/seed0/probe.json"


def climate_probes():
    """{label: probe.json of seed 0} for every LABEL=BLOCK of `probes`."""
    pairs = (entry.split("=", 1) for entry in climate().get("probes", []))
    return {label: f"{RESULTS}/discovery/{block}/seed0/probe.json" for label, block in pairs}
