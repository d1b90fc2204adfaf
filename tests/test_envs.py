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


def test_every_third_party_import_of_the_package_is_declared():
    """A module the package imports (at any depth, also inside functions) must come from
    a distribution pyproject.toml declares: a package that happens to be installed on a
    developer's machine would otherwise hide a fresh clone's ModuleNotFoundError."""
    import ast
    import re
    import sys
    from importlib.metadata import packages_distributions

    declared = {re.split(r"[<>=!~ \[]", d, maxsplit=1)[0].lower().replace("_", "-")
                for d in tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]}
    owners = packages_distributions()
    missing = {}
    for path in sorted((REPO / "src").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top == "symrepro":
                    continue
                dists = {d.lower().replace("_", "-") for d in owners.get(top, [top])}
                if not dists & declared:
                    missing.setdefault(top, []).append(str(path.relative_to(REPO)))
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"
