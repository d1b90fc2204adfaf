"""The generic discovery chain through the command-line interface, in a temporary directory."""

import json

import numpy as np
import pandas as pd
import pytest
import torch

from symrepro.cli import main
from symrepro.symmetry import MatrixGroup


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    path = tmp_path_factory.mktemp("discovery") / "heat.h5"
    assert main(["data", "heat", "--n-samples", "8", "--seed", "0", "--threads", "1", "--out", str(path)]) == 0
    return path


def _common(data, view="atlas2"):
    return ["--experiment", "pde", "--view", view, "--data", str(data), "--batch-size", "4", "--device", "cpu",
            "--threads", "1"]


def test_chain_writes_every_output_reproducibly_and_the_predictor_stays_frozen(tmp_path, data):
    run = tmp_path / "results/discovery/pde/atlas2/seed0"
    common = _common(data)
    assert main(["discovery", "predictor", *common, "--epochs", "1", "--model", "hidden=4", "layers=3",
                 "--out", str(run / "predictor.pt")]) == 0
    saved = torch.load(run / "predictor.pt", weights_only=True)
    assert saved["options"] == {"hidden": 4, "layers": 3} and saved["view"] == "atlas2" and len(saved["history"]) == 1
    before = (run / "predictor.pt").read_bytes()
    for name in ("algebra.json", "again.json"):
        assert main(["discovery", "algebra", *common, "--predictor", str(run / "predictor.pt"), "--epochs", "2",
                     "--r3", "0.1", "--out", str(run / name)]) == 0
    algebra, again = (json.loads((run / n).read_text()) for n in ("algebra.json", "again.json"))
    assert algebra["basis"] == again["basis"] and algebra["history"] == [
        {**h, "seconds": a["seconds"]} for h, a in zip(again["history"], algebra["history"])]  # same seed, same numbers
    assert np.asarray(algebra["basis"]).shape == (1, 2, 2) and len(algebra["history"]) == 2
    assert {"basis_loss", "regularization", "basis_norm", "basis_loss_per_norm", "basis"} <= set(algebra["history"][0])
    assert algebra["settings"]["r3"] == 0.1
    assert main(["discovery", "cosets", *common, "--predictor", str(run / "predictor.pt"),
                 "--algebra", str(run / "algebra.json"), "--candidates", "4", "--keep", "2", "--epochs", "1",
                 "--out", str(run / "cosets.json")]) == 0
    assert (run / "predictor.pt").read_bytes() == before  # algebra and cosets used the one saved predictor
    cosets = json.loads((run / "cosets.json").read_text())
    assert cosets["algebra"] == algebra["basis"]  # the discovered algebra, not a hard-coded one
    assert 1 <= len(cosets["kept"]) <= 2 and len(cosets["considered"]) == 2 and len(cosets["candidates"]) == 4
    assert {"matrix", "loss", "determinant", "angle", "reflection", "identity_component"} <= set(cosets["kept"][0])
    assert main(["discovery", "group", "--experiment", "pde", "--algebra", str(run / "algebra.json"),
                 "--cosets", str(run / "cosets.json"), "--out", str(run / "group.json")]) == 0
    group = MatrixGroup.read(run / "group.json")
    assert np.allclose(group.lie_algebra, algebra["basis"]) and group.dim == 2
    outside = [k for k in cosets["kept"] if not k["identity_component"]]
    assert len(group.discrete_generators) == len(outside)
    assert group.metadata["view"] == "atlas2" and group.metadata["seed"] == 0
    summary_path = tmp_path / "results/discovery/pde/summary.csv"
    figure = tmp_path / "results/figures/pde.pdf"
    files = ["--groups", str(run / "group.json"), "--algebras", str(run / "algebra.json")]
    assert main(["discovery", "summarize", "--experiment", "pde", *files, "--out", str(summary_path)]) == 0
    summary = pd.read_csv(summary_path)
    assert list(summary.columns[:4]) == ["experiment", "view", "seed", "generators"]
    row = summary.iloc[0]
    assert row.n_cosets == len(cosets["kept"]) and 0 <= row.cosine_so2 <= 1
    # one generator against so(2): the span residual is sin of the angle whose cosine is cosine_so2
    assert abs(row.max_reference_residual - np.sqrt(1 - row.cosine_so2 ** 2)) < 1e-4
    assert main(["discovery", "plot", "--experiment", "pde", *files, "--out", str(figure)]) == 0
    assert figure.read_bytes().startswith(b"%PDF")
    assert not [p.name for p in tmp_path.rglob("*.part*")]


def test_bad_inputs_give_clean_errors(tmp_path, data, capsys):
    bad = tmp_path / "algebra.json"
    bad.write_text(json.dumps({"format": "symrepro.algebra/1", "experiment": "pde", "basis": [[1.0, 2.0, 3.0]]}))
    out = tmp_path / "cosets.json"
    code = main(["discovery", "cosets", *_common(data), "--predictor", "missing.pt", "--algebra", str(bad),
                 "--epochs", "1", "--out", str(out)])
    assert code == 2 and "'basis'" in capsys.readouterr().err and not out.exists()
    predictor = tmp_path / "p.pt"
    assert main(["discovery", "predictor", *_common(data), "--epochs", "1", "--max-samples", "4",
                 "--model", "hidden=4", "--out", str(predictor)]) == 0
    code = main(["discovery", "algebra", *_common(data, view="atlas1"), "--predictor", str(predictor),
                 "--epochs", "1", "--out", str(tmp_path / "a.json")])
    assert code == 2 and "'atlas2'" in capsys.readouterr().err
    code = main(["discovery", "algebra", *_common(data, view="atlas7"), "--predictor", str(predictor),
                 "--epochs", "1", "--out", str(tmp_path / "a.json")])
    assert code == 2 and "atlas7" in capsys.readouterr().err
    code = main(["discovery", "predictor", *_common(data), "--epochs", "1", "--model", "width=3",
                 "--out", str(tmp_path / "q.pt")])
    assert code == 2 and "width" in capsys.readouterr().err and not (tmp_path / "q.pt").exists()
    code = main(["discovery", "predictor", *_common(data), "--experiment", "weather", "--epochs", "1",
                 "--out", str(tmp_path / "q.pt")])
    assert code == 2 and "weather" in capsys.readouterr().err
    code = main(["discovery", "algebra", *_common(tmp_path / "nothing.h5"), "--predictor", str(predictor),
                 "--epochs", "1", "--out", str(tmp_path / "a.json")])
    assert code == 2 and "nothing.h5" in capsys.readouterr().err
