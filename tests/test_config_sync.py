"""The config schema's enums and the shipped configs agree with the Python registries
(one source of truth: a name added on one side only fails here)."""

import re

import yaml

from symrepro.datasets.cli import DATASETS
from symrepro.discovery.trainers import Settings
from symrepro.downstream.schedule import SCHEDULES
from symrepro.eqaug.task import TASK_LOADERS
from symrepro.experiments import EXPERIMENTS, get
from symrepro.symmetry import GROUPS
from workflow_harness import REPO

SCHEMA = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
CONFIGS = ["config/config.yaml", "config/quick.yaml", ".test/config/config.yaml"]


def test_schema_enums_equal_the_registries():
    experiment = SCHEMA["$defs"]["experiment"]["properties"]
    assert set(experiment["model"]["properties"]["group"]["enum"]) == set(GROUPS)
    assert set(experiment["task"]["enum"]) == set(TASK_LOADERS)
    block = SCHEMA["$defs"]["discovery_experiment"]["properties"]
    assert set(block["experiment"]["enum"]) == set(EXPERIMENTS)
    assert set(SCHEMA["$defs"]["lr_schedule"]["enum"]) == set(SCHEDULES)


def test_discovery_step_options_are_settings_or_step_arguments():
    steps = SCHEMA["$defs"]["discovery_experiment"]["properties"]
    settings = set(Settings.__dataclass_fields__)
    step_only = {"epochs", "generators", "candidates", "keep", "tolerance", "max_samples", "model"}
    for step in ("predictor", "algebra", "cosets"):
        assert set(steps[step]["properties"]) <= settings | step_only, step


def test_shipped_configs_name_registered_commands_views_and_datasets():
    for path in CONFIGS:
        config = yaml.safe_load((REPO / path).read_text())
        for name, entry in config["datasets"].items():
            command = "mnist-idx" if name == "mnist" else entry.get("command", name)
            assert command in DATASETS, (path, name)
        for name, block in config.get("discovery", {}).get("experiments", {}).items():
            if not block.get("enabled", True):  # e.g. quick's `climate_standin: {enabled: false}`
                continue
            spec = get(block.get("experiment", name))
            assert set(block.get("views") or [""]) <= set(spec.views) | {""}, (path, name)
            assert block.get("view", "") in set(spec.views) | {""}, (path, name)
            for role, dataset in block["data"].items():
                assert dataset in config["datasets"] or dataset in yaml.safe_load(
                    (REPO / "config/config.yaml").read_text())["datasets"], (path, name, role)


def test_the_quick_configuration_checks_the_claim_for_every_dynamics_experiment():
    quick = yaml.safe_load((REPO / "config/quick.yaml").read_text())
    paper = yaml.safe_load((REPO / "config/config.yaml").read_text())
    assert set(quick["eqaug"]["experiments"]) == set(paper["eqaug"]["experiments"])
    assert all(e.get("check_claim") for e in quick["eqaug"]["experiments"].values())


def test_the_four_group_networks_are_those_of_the_papers_figure():
    """Reference models.py: only the 2-D shift net has an invariant layer of width 32 and a
    32 -> 10 head; the others end in an invariant layer of width 10; C4 and roto-translations
    use LeakyReLU after it, the shift nets tanh; `trans` is the 1-D shift net."""
    experiments = yaml.safe_load((REPO / "config/config.yaml").read_text())["eqaug"]["experiments"]
    expected = {"groups_rot": (10, "leaky_relu", []), "groups_rototrans": (10, "leaky_relu", []),
                "groups_trans1d": (10, "tanh", []), "groups_trans2d": (32, "tanh", [10]), "trans": (10, "tanh", [])}
    for name, (width, activation, head) in expected.items():
        model = experiments[name]["model"]
        assert (model["invariant_width"], model["invariant_activation"], model["head"]) == (width, activation, head), name
        assert model["channels"] == [1, 32, 32] and model["layer_norm"] is True, name


def test_config_readme_names_every_schema_key():
    """config/README.md documents every key of the schema: each property name (at any depth,
    $defs included) appears as a word inside some `backticked` span, e.g. `probe.low_pass`."""
    def keys(node):
        if isinstance(node, dict):
            own = set(node["properties"]) if isinstance(node.get("properties"), dict) else set()
            return own.union(*(keys(v) for v in node.values()))
        return set().union(*(keys(v) for v in node)) if isinstance(node, list) else set()

    spans = re.findall(r"`([^`]+)`", (REPO / "config/README.md").read_text())
    documented = {word for span in spans for word in re.findall(r"\w+", span)}
    missing = sorted(keys(SCHEMA) - documented)
    assert not missing, f"config/README.md does not document the schema keys {missing}"
