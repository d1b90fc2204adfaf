"""Run the Snakemake workflow of this repository in a scratch copy, as a user would."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
WORKFLOW_FILES = ["Snakefile", "workflow", "config", "envs", ".test", "slurm"]


def scratch_copy(dest: Path) -> Path:
    for name in WORKFLOW_FILES:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, dest / name)
        elif src.exists():
            shutil.copy2(src, dest / name)
    return dest


def snakemake(workdir: Path, *args: str, configfile: str = ".test/config/config.yaml", check: bool = True,
              timeout: float = 1800) -> subprocess.CompletedProcess:
    # --configfile takes several values: it goes last, after the targets and flags
    cmd = [sys.executable, "-m", "snakemake", "--cores", "2", *args, "--configfile", configfile]
    proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}")
    return proc


def planned_jobs(output: str) -> dict[str, int]:
    """Parse the 'Job stats' table of a (dry) run into {rule: count}."""
    if "Job stats:" not in output:
        return {}
    table = output.split("Job stats:", 1)[1]
    jobs = {}
    for line in table.splitlines()[3:]:
        match = re.match(r"^(\S+)\s+(\d+)$", line.strip())
        if not match:
            break
        if match.group(1) != "total":
            jobs[match.group(1)] = int(match.group(2))
    return jobs


def write_config(workdir: Path, name: str, edit) -> str:
    config = yaml.safe_load((workdir / ".test/config/config.yaml").read_text())
    edit(config)
    path = workdir / name
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return name
