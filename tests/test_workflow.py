"""End-to-end behaviour of the Snakemake workflow on the tiny offline `.test` config."""

import os
import re
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from workflow_harness import planned_jobs, scratch_copy, snakemake, write_config

pytestmark = pytest.mark.workflow
RESULTS = "results/test"  # where the .test configuration writes


@pytest.fixture(scope="module")
def completed(tmp_path_factory):
    workdir = scratch_copy(tmp_path_factory.mktemp("wf"))
    snakemake(workdir)
    return workdir


def test_full_chain_produces_every_output(completed):
    config_seeds, regimes = 3, ["equivariant", "augmented", "nominal"]
    for seed in range(config_seeds):
        assert (completed / f"{RESULTS}/eqaug/perm/seed{seed}/init.pt").exists()
        for regime in regimes:
            run = pd.read_csv(completed / f"{RESULTS}/eqaug/perm/seed{seed}/{regime}.csv")
            assert run.epoch.max() == 8
            assert (completed / f"benchmarks/test/eqaug/perm/seed{seed}/{regime}.tsv").exists()
            assert (completed / f"logs/test/eqaug/perm/seed{seed}/{regime}.log").exists()
    assert (completed / "data/test/perm.h5").exists()
    assert (completed / f"{RESULTS}/figures/perm.pdf").read_bytes().startswith(b"%PDF")
    metrics = pd.read_csv(completed / f"{RESULTS}/eqaug/perm/metrics.csv")
    assert len(metrics) == config_seeds * len(regimes) * 9 * 2
    for figure in ("trans", "rot", "groups"):
        assert (completed / f"{RESULTS}/figures/{figure}.pdf").read_bytes().startswith(b"%PDF")
    for data in ("data/test/mnist14.h5", "data/test/shapes.h5", "data/test/mnist/raw/t10k-images-idx3-ubyte.gz"):
        assert (completed / data).exists()
    assert not (completed / "results/eqaug").exists() and not (completed / "data/perm.h5").exists()


def test_local_symmetry_chain_outputs(completed):
    import json

    import numpy as np

    from symrepro.symmetry import MatrixGroup

    for view in ("atlas1", "atlas2"):
        run = completed / f"{RESULTS}/discovery/pde/{view}/seed0"
        assert (run / "predictor.pt").exists()
        algebra = json.loads((run / "algebra.json").read_text())
        assert len(algebra["basis"]) == 1 and len(algebra["basis"][0]) == 2 and algebra["history"]
        cosets = json.loads((run / "cosets.json").read_text())
        assert cosets["kept"] and cosets["algebra"] == algebra["basis"]  # the DISCOVERED algebra was used
        group = MatrixGroup.read(run / "group.json")
        assert np.allclose(group.lie_algebra, algebra["basis"]) and group.metadata["view"] == view
    summary = pd.read_csv(completed / f"{RESULTS}/discovery/pde/summary.csv")
    assert sorted(summary.view) == ["atlas1", "atlas2"] and summary.cosine_so2.between(0, 1).all()
    assert summary.max_reference_residual.between(0, 1).all()
    assert (completed / f"{RESULTS}/figures/pde.pdf").read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize("experiment", ["perm", "trans", "rot", "groups_rot", "groups_trans2d", "groups_trans1d",
                                        "groups_rototrans"])
def test_every_experiment_ran_every_seed_and_regime_and_the_equivariant_one_stays_in_E(completed, experiment):
    metrics = pd.read_csv(completed / f"{RESULTS}/eqaug/{experiment}/metrics.csv")
    seeds = 3 if experiment == "perm" else 2
    assert metrics.groupby("regime").seed.nunique().to_dict() == {r: seeds for r in
                                                                   ("augmented", "equivariant", "nominal")}
    eq = metrics[metrics.regime == "equivariant"]
    assert eq.dist_from_E.max() < 1e-6 and eq.dist_from_init.max() > 0
    assert metrics[metrics.regime == "nominal"].dist_from_E.max() > 1e-4


def test_the_figure_claim_holds_augmented_stays_closer_to_E_than_nominal(completed):
    summary = pd.read_csv(completed / f"{RESULTS}/eqaug/perm/summary.csv")
    final = summary[summary.epoch == summary.epoch.max()].set_index("regime")
    assert (final.n_seeds == 3).all()
    assert final.loc["equivariant", "dist_from_E_median"] < 1e-6
    assert final.loc["augmented", "dist_from_E_median"] < final.loc["nominal", "dist_from_E_median"]
    assert final.loc["augmented", "dist_from_init_median"] > 0


def test_a_completed_run_has_nothing_to_do(completed):
    proc = snakemake(completed, "-n")
    assert planned_jobs(proc.stdout + proc.stderr) == {}
    assert "Nothing to be done" in proc.stdout + proc.stderr


def test_changing_lr_reruns_exactly_training_aggregation_and_figure(completed):
    def edit(config):
        config["eqaug"]["experiments"]["perm"]["train"]["lr"] *= 2

    name = write_config(completed, "lr.yaml", edit)
    proc = snakemake(completed, "-n", configfile=name)
    assert planned_jobs(proc.stdout + proc.stderr) == {
        "eqaug_train": 9, "eqaug_aggregate": 1, "eqaug_figure": 1, "all": 1}


def test_dry_run_and_dag_show_the_whole_chain(tmp_path):
    workdir = scratch_copy(tmp_path)
    proc = snakemake(workdir, "-n")
    assert planned_jobs(proc.stdout + proc.stderr) == {
        "data_mnist_idx": 1, "data_file": 13, "eqaug_init": 15, "eqaug_train": 45, "eqaug_aggregate": 7,
        "eqaug_figure": 4, "discovery_predictor": 6, "discovery_algebra": 6, "discovery_cosets": 3,
        "discovery_group": 6, "discovery_evaluate": 3, "discovery_probe": 2, "discovery_summary": 5,
        "discovery_figure": 2, "sphere_liegan": 1, "sphere_cnn": 2, "sphere_summary": 1, "sphere_figure": 1,
        "climate_unet": 2, "climate_summary": 1, "climate_probe_verdict": 1, "climate_figure": 1, "all": 1}
    dag = snakemake(workdir, "--dag").stdout
    assert dag.lstrip().startswith("digraph") and "eqaug_train" in dag and "data_file" in dag and "discovery_group" in dag
    assert "climate_unet" in dag and "discovery_probe" in dag


def test_baseline_epochs_reach_only_the_baseline_cnn(tmp_path):
    """`downstream.mnist_sphere.cnn.baseline_epochs` replaces `epochs` for the baseline
    CNN only; the discovered CNN keeps `epochs`."""
    workdir = scratch_copy(tmp_path)
    name = write_config(workdir, "epochs.yaml",
                        lambda c: c["downstream"]["mnist_sphere"]["cnn"].update(epochs=2, baseline_epochs=3))
    out = snakemake(workdir, "-n", "-p", "--forceall", configfile=name).stdout
    commands = [line for line in out.splitlines() if "symrepro downstream mnist_sphere train" in line]
    by_variant = {re.search(r"--variant (\w+)", c).group(1): c for c in commands}
    assert set(by_variant) == {"baseline", "discovered"}
    assert "--epochs 3 " in by_variant["baseline"] and "--epochs 2 " in by_variant["discovered"]
    assert "baseline-epochs" not in out


@pytest.mark.parametrize("edit, key", [
    (lambda c: c["eqaug"]["experiments"]["perm"].update(seeds=-2), "seeds"),
    (lambda c: c["eqaug"].update(regimes=["equivariant", "jittered"]), "regimes"),
    (lambda c: c["eqaug"]["experiments"]["perm"]["train"].update(lr="fast"), "lr"),
])
def test_invalid_config_stops_before_any_job_and_names_the_key(tmp_path, edit, key):
    workdir = scratch_copy(tmp_path)
    name = write_config(workdir, "bad.yaml", edit)
    proc = snakemake(workdir, configfile=name, check=False)
    assert proc.returncode != 0
    text = proc.stdout + proc.stderr
    assert "Error validating config" in text and key in text
    assert not (workdir / "data").exists() and not (workdir / "results").exists()


def test_reordering_config_keys_reruns_nothing(completed):
    import yaml

    def sort_keys(value):
        if isinstance(value, dict):
            return {k: sort_keys(value[k]) for k in sorted(value, reverse=True)}
        return value

    config = yaml.safe_load((completed / ".test/config/config.yaml").read_text())
    (completed / "reordered.yaml").write_text(yaml.safe_dump(sort_keys(config), sort_keys=False))
    proc = snakemake(completed, "-n", configfile="reordered.yaml")
    assert planned_jobs(proc.stdout + proc.stderr) == {}
    assert "Nothing to be done" in proc.stdout + proc.stderr


def _planned_outputs(workdir, configfile):
    """Every output file a dry run of `configfile` plans (from scratch: --forceall)."""
    proc = snakemake(workdir, "-n", "--forceall", configfile=configfile)
    outputs = []
    for line in (proc.stdout + proc.stderr).splitlines():
        if line.strip().startswith("output:"):
            outputs += [p.strip() for p in line.split(":", 1)[1].split(",")]
    return outputs


def test_each_configuration_writes_under_its_own_prefixes(completed):
    paper = _planned_outputs(completed, "config/config.yaml")
    test = _planned_outputs(completed, ".test/config/config.yaml")
    quick = _planned_outputs(completed, "config/quick.yaml")
    assert paper and test and quick
    assert all(p.startswith(("results/test/", "data/test/")) for p in test), test[:5]
    assert all(p.startswith(("results/quick/", "data/quick/")) for p in quick), quick[:5]
    assert not any(p.startswith(("results/test/", "results/quick/", "data/test/", "data/quick/")) for p in paper)
    assert "results/figures/perm.pdf" in paper  # the paper-scale commands users know still work
    # after the .test run, the paper-scale plan touches none of the .test outputs
    proc = snakemake(completed, "-n", configfile="config/config.yaml")
    assert "results/test/" not in proc.stdout + proc.stderr


def test_a_killed_training_job_leaves_no_output_and_the_rerun_completes(completed, tmp_path):
    out = tmp_path / "nominal.csv"
    cmd = [sys.executable, "-m", "symrepro.cli", "eqaug", "train", "--group", "node_permutations",
           "--group-size", "10", "--channels", "1", "8", "--invariant-width", "16", "--head", "8", "1",
           "--experiment", "perm", "--task", "graphs", "--data", str(completed / "data/test/perm.h5"),
           "--init", str(completed / f"{RESULTS}/eqaug/perm/seed0/init.pt"), "--regime", "augmented",
           "--seed", "0", "--epochs", "100000", "--lr", "1e-4", "--augment-passes", "2", "--device", "cpu",
           "--threads", "1", "--out", str(out)]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:  # wait until training is under way
        if "augmented epoch 3/" in line:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert list(tmp_path.iterdir()) == []  # neither the output nor a temporary file
    cmd[cmd.index("100000")] = "3"
    subprocess.run(cmd, check=True, capture_output=True, timeout=300)
    assert pd.read_csv(out).epoch.max() == 3
    assert [p.name for p in tmp_path.iterdir()] == ["nominal.csv"]


def test_a_killed_snakemake_run_resumes(tmp_path):
    workdir = scratch_copy(tmp_path)

    def edit(config):
        config["eqaug"]["experiments"]["perm"].update(seeds=1)
        config["eqaug"]["experiments"]["perm"]["train"].update(epochs=400)

    name = write_config(workdir, "long.yaml", edit)
    cmd = [sys.executable, "-m", "snakemake", f"{RESULTS}/figures/perm.pdf", "--cores", "1", "--configfile", name]
    proc = subprocess.Popen(cmd, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    logs = workdir / "logs/test/eqaug/perm/seed0"
    deadline = time.time() + 120
    while time.time() < deadline and not any(
            "epoch 2/" in p.read_text() for p in logs.glob("*.log") if p.name != "init.log"):
        time.sleep(0.5)
    assert time.time() < deadline, "training never started"
    os.killpg(proc.pid, signal.SIGKILL)  # snakemake and its running job die together
    proc.wait(timeout=30)
    assert not list((workdir / f"{RESULTS}/eqaug/perm/seed0").glob("*.csv"))
    snakemake(workdir, "--unlock", configfile=name)  # a killed Snakemake leaves its lock behind
    snakemake(workdir, "--rerun-incomplete", f"{RESULTS}/figures/perm.pdf", configfile=name, timeout=900)
    assert (workdir / f"{RESULTS}/figures/perm.pdf").exists()


def test_html_report_contains_every_figure_and_table_with_captions_and_no_docutils_messages(completed):
    proc = snakemake(completed, "--report", f"{RESULTS}/report.html")
    html = (completed / f"{RESULTS}/report.html").read_text()
    for name in ("perm.pdf", "trans.pdf", "rot.pdf", "groups.pdf", "pde.pdf", "summary.csv"):
        assert name in html
    assert "Distance travelled" in html  # the figure's caption
    assert "Flinth" in html  # the workflow description on the front page
    for message in ("System Message", "Undefined substitution", "(ERROR/", "(WARNING/", "Docutils"):
        assert message not in html, message
        assert message not in proc.stdout + proc.stderr, message
    assert "Missing metadata" not in proc.stdout + proc.stderr  # the report matches the run's configuration


def test_top_tagging_chain_ran_with_evaluation_and_cosets(completed):
    import json

    from symrepro.symmetry import MatrixGroup

    run = completed / f"{RESULTS}/discovery/toptag/seed0"
    group = MatrixGroup.read(run / "group.json")
    assert group.lie_algebra.shape == (7, 4, 4)
    evaluation = json.loads((run / "eval.json").read_text())["metrics"]
    assert 0 <= evaluation["accuracy"] <= 1 and 0 <= evaluation["auc"] <= 1
    summary = pd.read_csv(completed / f"{RESULTS}/discovery/toptag/summary.csv")
    assert {"max_so13_span_residual", "parity_cosets", "accuracy", "auc"} <= set(summary.columns)
    assert (completed / f"{RESULTS}/figures/toptag.pdf").read_bytes().startswith(b"%PDF")


def test_climate_chain_probe_and_unets_built_from_the_discovered_group(completed):
    import json

    from symrepro.symmetry import MatrixGroup

    run = completed / f"{RESULTS}/discovery/climate/seed0"
    probe = json.loads((run / "probe.json").read_text())
    assert probe["format"] == "symrepro.probe/1" and set(probe["mean_excess"]) == {"J", "diag10", "diag01", "E12", "E21"}
    group = MatrixGroup.read(run / "group.json")
    assert group.lie_algebra.shape == (4, 2, 2)
    metrics = {v: json.loads((completed / f"{RESULTS}/downstream/climate/{v}/seed0/metrics.json").read_text())
               for v in ("baseline", "discovered")}
    assert metrics["baseline"]["kernel_symmetry"] == "so2"
    assert metrics["discovered"]["kernel_symmetry"] == "uniform"  # 4 generators on R^2 span gl(2)
    assert metrics["discovered"]["parameters"] < metrics["baseline"]["parameters"]
    assert (completed / f"{RESULTS}/figures/climate.pdf").read_bytes().startswith(b"%PDF")
    # the negative control ran the same chain, and the verdict compares the two probes
    control = json.loads((completed / f"{RESULTS}/discovery/climate_control/seed0/probe.json").read_text())
    assert control["data"].endswith("climate_control_test.h5") and set(control["mean_excess"]) == set(probe["mean_excess"])
    verdict = pd.read_csv(completed / f"{RESULTS}/downstream/climate/probes.csv")
    assert set(verdict.direction) == set(probe["mean_excess"]) and verdict.verdict.nunique() == 1
    assert verdict.set_index("direction").loc["J", "control_mean_excess"] == pytest.approx(control["mean_excess"]["J"])
    assert "The control" in (completed / "logs/test/downstream/climate/probes.log").read_text()


def test_paper_scale_probes_the_stand_in_the_control_and_the_real_data(tmp_path):
    """Paper scale: the climate figure draws three probe spectra (stand-in, negative
    control, real ClimateNet) and the verdict compares the first two, each block on data
    of ClimateNet's grid; the quick and .test configurations switch the stand-in block off
    (their `climate` block is the stand-in)."""
    workdir = scratch_copy(tmp_path)
    out = snakemake(workdir, "-n", "-p", "--forceall", configfile="config/config.yaml").stdout
    plot = next(line for line in out.splitlines() if "symrepro downstream climate plot" in line)
    assert re.findall(r"--probe '?([^=']+)=results/discovery/(\w+)/seed0/probe.json", plot) == [
        ("stand-in", "climate_standin"), ("control", "climate_control"), ("real data", "climate")]
    verdict = next(line for line in out.splitlines() if "symrepro downstream climate probe-verdict" in line)
    assert "--symmetric results/discovery/climate_standin/seed0/probe.json" in verdict
    assert "--control results/discovery/climate_control/seed0/probe.json" in verdict and "--check" not in verdict
    for source, name in (("synthetic", "climate_standin_train"), ("control", "climate_control_train")):
        command = next(line for line in out.splitlines() if f"--out data/{name}.h5" in line)
        assert f"--source {source}" in command and "--shape 768 1152" in command
    for configfile in ("config/quick.yaml", ".test/config/config.yaml"):
        planned = snakemake(workdir, "-n", "--forceall", configfile=configfile).stdout
        assert "climate_standin" not in planned, configfile
