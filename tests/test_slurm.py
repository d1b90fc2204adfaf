"""The workflow on a real SLURM cluster through the `slurm/` profile.

CI brings up a single-node SLURM with accounting and one fake GPU
(`.ci/slurm-up.sh`); without a SLURM that answers these tests are skipped.
"""

import shutil
import subprocess
import sys

import pytest

from workflow_harness import planned_jobs, scratch_copy

pytestmark = pytest.mark.slurm


def _slurm_answers() -> bool:
    if not shutil.which("sinfo") or not shutil.which("sacct"):
        return False
    try:
        up = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, timeout=10)
        acct = subprocess.run(["sacct", "-n", "-X", "-S", "now"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return up.returncode == 0 and any(s in up.stdout for s in ("idle", "mixed", "alloc")) and acct.returncode == 0


if not _slurm_answers():
    pytest.skip("no SLURM cluster answers (sinfo/sacct); run `bash .ci/slurm-up.sh` as root to start one",
                allow_module_level=True)


def _profile_run(workdir, *targets, check=True):
    cmd = [sys.executable, "-m", "snakemake", "--profile", "slurm", "--configfile", ".test/config/config.yaml",
           "--slurm-init-seconds-before-status-checks", "1", "--seconds-between-status-checks", "2",
           "--retries", "0", *targets]
    proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=1200)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake --profile slurm failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}")
    return proc


def _accounted_jobs(workdir) -> list[dict]:
    """sacct's records of the jobs this workflow run submitted (matched by working directory)."""
    out = subprocess.run(["sacct", "-a", "-X", "-n", "-P", "-S", "now-2hours", "-o", "JobID,WorkDir,Comment,State,AllocTRES"],
                         capture_output=True, text=True, check=True).stdout
    jobs = []
    for line in out.splitlines():
        job_id, work_dir, comment, state, tres = line.split("|")
        if work_dir.rstrip("/") == str(workdir).rstrip("/"):
            jobs.append({"id": job_id, "rule": comment, "state": state, "tres": tres})
    return jobs


def test_perm_figure_runs_through_slurm_with_gpu_requests(tmp_path):
    workdir = scratch_copy(tmp_path)
    _profile_run(workdir, "results/figures/perm.pdf")
    assert (workdir / "results/figures/perm.pdf").read_bytes().startswith(b"%PDF")
    jobs = _accounted_jobs(workdir)
    rules = [j["rule"] for j in jobs]
    assert sum(r.startswith("rule_eqaug_train") for r in rules) == 9, rules
    assert all(j["state"] == "COMPLETED" for j in jobs)
    for job in jobs:  # training jobs asked for the (fake) GPU, the others did not
        assert ("gres/gpu=1" in job["tres"]) == job["rule"].startswith("rule_eqaug_train"), job
    # cheap rules (data generation, starting points, aggregation, figure) stay local
    assert len(rules) == 9, rules

    again = _profile_run(workdir, "results/figures/perm.pdf")
    assert planned_jobs(again.stdout + again.stderr) == {}
    assert len(_accounted_jobs(workdir)) == len(jobs)  # the second invocation submitted nothing


def test_a_failing_slurm_job_is_reported_and_leaves_no_output(tmp_path):
    workdir = scratch_copy(tmp_path)
    _profile_run(workdir, "data/eqaug/perm.h5", "results/eqaug/perm/seed0/init.pt")
    data = workdir / "data/eqaug/perm.h5"
    data.write_bytes(data.read_bytes()[:1500])  # a truncated data set: training must fail cleanly
    proc = _profile_run(workdir, "results/eqaug/perm/seed0/nominal.csv", check=False)
    assert proc.returncode != 0
    assert "Error in rule eqaug_train" in proc.stdout + proc.stderr
    assert not (workdir / "results/eqaug/perm/seed0/nominal.csv").exists()
    assert not list((workdir / "results/eqaug/perm/seed0").glob(".nominal.csv*"))
    log = (workdir / "logs/eqaug/perm/seed0/nominal.log").read_text()
    assert "truncated" in log and str(data.relative_to(workdir)) in log
    failed = [j for j in _accounted_jobs(workdir) if j["rule"].startswith("rule_eqaug_train")]
    assert failed and all(j["state"] == "FAILED" for j in failed)
