"""The workflow on a real SLURM cluster through the `slurm/` profile.

CI brings up a single-node SLURM with accounting and one fake GPU
(`.ci/slurm-up.sh`); without a SLURM that answers these tests are skipped.

Jobs are identified without relying on site settings: the plugin writes each job's
log to `.snakemake/slurm_logs/rule_<rule>/<wildcards>/<jobid>.log` in the working
directory (kept with `--slurm-keep-successful-logs`), which maps job ids to rules
whether or not the cluster stores job comments in its accounting
(`AccountingStoreFlags=job_comment`). sacct gives the state and the allocated TRES;
the GPU check is skipped, naming the setting, on a cluster that does not account
`gres/gpu` (`AccountingStorageTRES`).
"""

import re
import shutil
import subprocess
import sys

import pytest

from workflow_harness import planned_jobs, scratch_copy

pytestmark = pytest.mark.slurm
RESULTS = "results/test"  # where the .test configuration writes


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
    pytest.skip("no SLURM cluster answers (sinfo and sacct with accounting); run `bash .ci/slurm-up.sh` as root "
                "to start one", allow_module_level=True)


def _gpu_accounted() -> bool:
    config = subprocess.run(["scontrol", "show", "config"], capture_output=True, text=True).stdout
    match = re.search(r"AccountingStorageTRES\s*=\s*(\S+)", config)
    return bool(match and "gres/gpu" in match.group(1))


def _profile_run(workdir, *targets, check=True):
    # --configfile takes several values: it goes last, after the targets
    cmd = [sys.executable, "-m", "snakemake", *targets, "--profile", "slurm",
           "--slurm-init-seconds-before-status-checks", "1", "--seconds-between-status-checks", "2",
           "--slurm-keep-successful-logs", "--retries", "0", "--configfile", ".test/config/config.yaml"]
    proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=1200)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake --profile slurm failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}")
    return proc


def _rules_by_job(workdir) -> dict[str, str]:
    """{job id: rule} from the plugin's per-job log files."""
    jobs = {}
    for log in (workdir / ".snakemake/slurm_logs").rglob("*.log"):
        rule = next(p for p in log.relative_to(workdir / ".snakemake/slurm_logs").parts if p.startswith("rule_"))
        jobs[log.stem] = rule.removeprefix("rule_")
    return jobs


def _accounted_jobs(workdir) -> list[dict]:
    """sacct's records of the jobs this workflow run submitted, with their rules."""
    rules = _rules_by_job(workdir)
    if not rules:
        return []
    out = subprocess.run(["sacct", "-a", "-X", "-n", "-P", "-j", ",".join(rules), "-o", "JobID,State,AllocTRES"],
                         capture_output=True, text=True, check=True).stdout
    jobs = []
    for line in out.splitlines():
        job_id, state, tres = line.split("|")
        jobs.append({"id": job_id, "rule": rules[job_id], "state": state, "tres": tres})
    return jobs


@pytest.fixture(scope="module")
def perm_run(tmp_path_factory):
    workdir = scratch_copy(tmp_path_factory.mktemp("slurm"))
    first = _profile_run(workdir, f"{RESULTS}/figures/perm.pdf")
    return workdir, first


def test_perm_figure_runs_through_slurm_and_only_training_is_submitted(perm_run):
    workdir, _ = perm_run
    assert (workdir / f"{RESULTS}/figures/perm.pdf").read_bytes().startswith(b"%PDF")
    jobs = _accounted_jobs(workdir)
    rules = sorted(j["rule"] for j in jobs)
    assert rules == ["eqaug_train"] * 9, rules  # data, starting points, aggregation and figure stay local
    assert all(j["state"] == "COMPLETED" for j in jobs), jobs
    again = _profile_run(workdir, f"{RESULTS}/figures/perm.pdf")
    assert planned_jobs(again.stdout + again.stderr) == {}
    assert len(_accounted_jobs(workdir)) == len(jobs)  # the second invocation submitted nothing


def test_training_jobs_asked_for_a_gpu(perm_run):
    if not _gpu_accounted():
        pytest.skip("this cluster does not account GPUs (AccountingStorageTRES lacks gres/gpu): the GPU request "
                    "cannot be read back from sacct")
    workdir, _ = perm_run
    jobs = _accounted_jobs(workdir)
    assert jobs and all("gres/gpu=1" in j["tres"] for j in jobs), jobs


def test_a_failing_slurm_job_is_reported_and_leaves_no_output(tmp_path):
    workdir = scratch_copy(tmp_path)
    _profile_run(workdir, "data/test/perm.h5", f"{RESULTS}/eqaug/perm/seed0/init.pt")
    data = workdir / "data/test/perm.h5"
    data.write_bytes(data.read_bytes()[:1500])  # a truncated data set: training must fail cleanly
    proc = _profile_run(workdir, f"{RESULTS}/eqaug/perm/seed0/nominal.csv", check=False)
    assert proc.returncode != 0
    assert "Error in rule eqaug_train" in proc.stdout + proc.stderr
    assert not (workdir / f"{RESULTS}/eqaug/perm/seed0/nominal.csv").exists()
    assert not list((workdir / f"{RESULTS}/eqaug/perm/seed0").glob(".nominal.csv*"))
    log = (workdir / "logs/test/eqaug/perm/seed0/nominal.log").read_text()
    assert "truncated" in log and str(data.relative_to(workdir)) in log
    failed = [j for j in _accounted_jobs(workdir) if j["rule"] == "eqaug_train"]
    assert failed and all(j["state"] == "FAILED" for j in failed)
