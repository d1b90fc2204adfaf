"""The conda environment used by `--sdm conda` installs what pyproject.toml declares."""

import tomllib

import yaml

from workflow_harness import REPO


def test_conda_env_matches_pyproject_dependencies():
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    for env_file in sorted((REPO / "envs").glob("*.yaml")):
        env = yaml.safe_load(env_file.read_text())
        pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
        packages = [p for p in pip if not p.startswith("-e")]
        assert sorted(packages) == sorted(declared), env_file.name
        assert "-e .." in pip, f"{env_file.name} must install this package itself"
        assert any(str(d).startswith("python") for d in env["dependencies"])


def test_every_rule_uses_a_declared_env():
    for smk in (REPO / "workflow/rules").glob("*.smk"):
        for line in smk.read_text().splitlines():
            if line.strip().startswith('"../../envs/'):
                assert (REPO / "envs" / line.strip().strip('"').split("/")[-1]).exists(), line
