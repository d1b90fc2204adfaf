"""summary.csv, the claim check (both outcomes), the figure, the CLI end to end with a tiny model."""

import json

import pandas as pd
import pytest

from symrepro.atomic import write_json
from symrepro.cli import main
from symrepro.downstream.climate import CLASSES, FORMAT
from symrepro.downstream.climate_report import (check_claim, parse_probes, plot, probe_verdict, read_probe,
                                               write_summary)
from symrepro.errors import ClaimNotReproduced, InputError


def fake_metrics(path, variant, seed, means, params=1000, effective=None):
    history = []
    for epoch, mean in enumerate(means):
        per_class = dict(zip(CLASSES, [0.95, mean, 2 * mean - 0.95 + 0.0]))
        history.append({"epoch": epoch, "train_loss": 1 - mean, "pixel_accuracy": 0.9,
                        "iou_reference": {"per_class": per_class, "mean": mean},
                        "iou_skip_empty": {"per_class": {**per_class, "tropical_cyclone": None}, "mean": mean + 0.01},
                        "train_seconds": 1.0, "test_seconds": 0.1})
    write_json(path, {"format": FORMAT, "variant": variant, "seed": seed, "kernel_symmetry":
                      "so2" if variant == "baseline" else "uniform", "parameters": params,
                      "effective_parameters": effective, "seconds_per_epoch": 1.0, "history": history})
    return path


@pytest.fixture
def runs(tmp_path):
    return [fake_metrics(tmp_path / "b0.json", "baseline", 0, [0.5, 0.74]),
            fake_metrics(tmp_path / "b1.json", "baseline", 1, [0.5, 0.76]),
            fake_metrics(tmp_path / "d0.json", "discovered", 0, [0.4, 0.73], 1500, 900),
            fake_metrics(tmp_path / "d1.json", "discovered", 1, [0.4, 0.75], 1500, 900)]


def test_summary_and_claim(runs, tmp_path):
    frame = write_summary(runs, tmp_path / "summary.csv")
    back = pd.read_csv(tmp_path / "summary.csv")
    assert list(back.variant) == ["baseline", "baseline", "discovered", "discovered"] == list(frame.variant)
    assert back.mean_iou_reference.tolist() == pytest.approx([0.74, 0.76, 0.73, 0.75])
    assert back.mean_iou_skip_empty.tolist() == pytest.approx([0.75, 0.77, 0.74, 0.76])
    assert back.iou_reference_tropical_cyclone.tolist() == pytest.approx([0.74, 0.76, 0.73, 0.75])
    assert back.iou_skip_empty_tropical_cyclone.isna().all()
    assert back.parameters.tolist() == [1000, 1000, 1500, 1500] and back.effective_parameters[2] == 900
    numbers = check_claim(frame, 0.03, 0.7)
    assert numbers["baseline"] == pytest.approx(0.75) and numbers["discovered"] == pytest.approx(0.74)
    with pytest.raises(ClaimNotReproduced, match="below 0.8"):
        check_claim(frame, 0.03, 0.8)
    with pytest.raises(ClaimNotReproduced, match=r"0\.7400.*0\.7500.*differ by 0\.0100 > 0\.005"):
        check_claim(frame, 0.005, 0.7)
    with pytest.raises(ClaimNotReproduced, match="discovered"):
        check_claim(frame[frame.variant == "baseline"], 0.03, 0.7)


def test_claim_check_from_cli(runs, tmp_path):

    args = ["downstream", "climate", "summarize", "--metrics", *map(str, runs), "--out", str(tmp_path / "s.csv"),
            "--check-claim", "--max-difference", "0.03"]
    assert main([*args, "--min-iou", "0.7"]) == 0
    assert main([*args, "--min-iou", "0.9"]) == 3
    assert (tmp_path / "s.csv").exists()
    fake_metrics(tmp_path / "far.json", "discovered", 2, [0.2, 0.3])
    assert main(["downstream", "climate", "summarize", "--metrics", str(runs[0]), str(tmp_path / "far.json"),
                 "--out", str(tmp_path / "t.csv"), "--check-claim"]) == 3
    (tmp_path / "other.json").write_text(json.dumps({"format": "something/1"}))
    assert main(["downstream", "climate", "summarize", "--metrics", str(tmp_path / "other.json"),
                 "--out", str(tmp_path / "u.csv")]) == 2


def _probe(path, directions, excess):
    """A probe.json as symrepro.discovery.probe writes it (directions name -> matrix, excess name -> per t)."""
    write_json(path, {"format": "symrepro.probe/1", "directions": {d: [[1.0, 0.0], [0.0, 0.0]] for d in directions},
                      "t": [-0.1, 0.1], "excess": dict(zip(directions, excess))})
    return path


def test_plot_with_and_without_probes(runs, tmp_path):
    plot(runs, tmp_path / "climate.pdf")
    assert (tmp_path / "climate.pdf").read_bytes()[:4] == b"%PDF"
    probes = {"stand-in": _probe(tmp_path / "p1.json", ["rot", "scale"], [[0.0, 0.01], [0.2, 0.3]]),
              "negative control": _probe(tmp_path / "p2.json", ["rot", "scale"], [[0.1, 0.2], [0.2, 0.3]]),
              "real": _probe(tmp_path / "p3.json", ["rot", "scale"], [[0.0, 0.0], [0.0, 0.01]])}
    plot(runs, tmp_path / "with_probes.pdf", probes)
    data = (tmp_path / "with_probes.pdf").read_bytes()
    assert data[:4] == b"%PDF" and len(data) > 1000
    assert read_probe(probes["real"])["directions"] == ["rot", "scale"]
    with pytest.raises(InputError, match="excess"):
        read_probe(_probe(tmp_path / "bad.json", ["rot"], [[0.0, 0.1, 0.2]]))
    with pytest.raises(InputError, match="NAME=PATH"):
        parse_probes(["real"])
    assert parse_probes(["real=a.json"]) == {"real": "a.json"}


def test_cli_train_summarize_plot_tiny(climate_files, tiny_factory, tmp_path, monkeypatch):
    """The train command with the tiny model in place of the U-Net (the factory is the module default)."""
    from symrepro.downstream import climate

    monkeypatch.setattr(climate, "ico_unet", tiny_factory)
    train, test = climate_files
    outs = []
    for seed in (0, 1):
        out = tmp_path / f"baseline_{seed}.json"
        assert main(["downstream", "climate", "train", "--variant", "baseline", "--train", str(train), "--test",
                     str(test), "--widths", "4,8", "--epochs", "1", "--batch-size", "4", "--seed", str(seed),
                     "--device", "cpu", "--threads", "1", "--out", str(out)]) == 0
        outs.append(str(out))
    m = json.loads(open(outs[0]).read())
    assert m["widths"] == [4, 8] and m["train_file"] == str(train) and m["group_file"] is None
    assert main(["downstream", "climate", "summarize", "--metrics", *outs, "--out", str(tmp_path / "s.csv")]) == 0
    assert main(["downstream", "climate", "plot", "--metrics", *outs, "--out", str(tmp_path / "c.pdf")]) == 0
    assert (tmp_path / "c.pdf").stat().st_size > 0
    assert main(["downstream", "climate", "train", "--variant", "discovered", "--train", str(train), "--test",
                 str(test), "--epochs", "1", "--out", str(tmp_path / "x.json")]) == 2
    assert not (tmp_path / "x.json").exists()


FIVE = ["J", "diag10", "diag01", "E12", "E21"]


def test_probe_verdict_says_plainly_whether_the_control_changes_the_outcome(tmp_path):
    stand_in = _probe(tmp_path / "s.json", FIVE, [[0.01, 0.01], [0.02, 0.02], [0.02, 0.02], [0.01, 0.01], [0.01, 0.01]])
    control = _probe(tmp_path / "c.json", FIVE, [[0.10, 0.14], [0.05, 0.05], [0.06, 0.06], [0.015, 0.015], [0.1, 0.1]])
    table, holds, text = probe_verdict(stand_in, control)
    assert holds and "changes the outcome" in text and "NOT" not in text
    row = table.set_index("direction").loc["J"]
    assert row.role == "rotation" and row.control_mean_excess == pytest.approx(0.12)
    assert row.control_extra_excess == pytest.approx(0.11) and set(table.verdict) == {"holds"}
    # a control whose probe looks like the stand-in's: said so, and --check fails
    same = _probe(tmp_path / "same.json", FIVE, [[0.01, 0.012]] * 5)
    table, holds, text = probe_verdict(stand_in, same)
    assert not holds and "does NOT change the outcome" in text
    # the stand-in is not small in every direction
    big = _probe(tmp_path / "big.json", FIVE, [[0.01, 0.01], [0.09, 0.09], [0.02, 0.02], [0.01, 0.01], [0.01, 0.01]])
    assert "not small" in probe_verdict(big, control)[2]
    args = ["downstream", "climate", "probe-verdict", "--symmetric", str(stand_in), "--out", str(tmp_path / "p.csv")]
    assert main([*args, "--control", str(control), "--check"]) == 0
    assert pd.read_csv(tmp_path / "p.csv").direction.tolist() == FIVE
    assert main([*args, "--control", str(same), "--check"]) == 3
    assert main([*args, "--control", str(same)]) == 0
    with pytest.raises(InputError, match="J"):
        probe_verdict(_probe(tmp_path / "noj.json", ["E12"], [[0.0, 0.0]]), control)
