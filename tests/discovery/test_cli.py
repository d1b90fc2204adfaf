"""The chain through the command-line interface, in a temporary directory."""

import json

import numpy as np
import pandas as pd
import pytest
import torch

from symrepro.cli import main


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    path = tmp_path_factory.mktemp("atlas") / "pde.h5"
    assert main(["data", "heat", "--n-samples", "8", "--seed", "0", "--threads", "1", "--out", str(path)]) == 0
    return path


def _common(data, atlas=2):
    return ["--data", str(data), "--atlas", str(atlas), "--batch-size", "4", "--device", "cpu", "--threads", "1"]


def test_chain_writes_every_output_reproducibly(tmp_path, data):
    run = tmp_path / "results/atlas/pde/atlas2/seed0"
    common = _common(data)
    assert main(["atlas", "train-predictor", *common, "--epochs", "1", "--out", str(run / "predictor.pt")]) == 0
    saved = torch.load(run / "predictor.pt", weights_only=True)
    assert saved["hparams"]["charts"] == 3 and saved["atlas"] == 2 and len(saved["history"]) == 1
    for name in ("algebra.json", "again.json"):
        assert main(["atlas", "discover-algebra", *common, "--predictor", str(run / "predictor.pt"), "--epochs", "2",
                     "--r3", "0.1", "--out", str(run / name)]) == 0
    algebra, again = (json.loads((run / n).read_text()) for n in ("algebra.json", "again.json"))
    assert algebra["basis"] == again["basis"] and algebra["history"] == [
        {**h, "seconds": a["seconds"]} for h, a in zip(again["history"], algebra["history"])]  # same seed, same numbers
    assert np.asarray(algebra["basis"]).shape == (1, 2, 2) and len(algebra["history"]) == 2
    assert {"predictor_loss", "basis_loss", "regularization", "basis"} <= set(algebra["history"][0])
    assert main(["atlas", "discover-cosets", *common, "--predictor", str(run / "predictor.pt"),
                 "--algebra", str(run / "algebra.json"), "--candidates", "4", "--keep", "2", "--epochs", "1",
                 "--out", str(run / "cosets.json")]) == 0
    cosets = json.loads((run / "cosets.json").read_text())
    assert cosets["algebra"] == algebra["basis"]  # the discovered algebra, not a hard-coded one
    assert 1 <= len(cosets["kept"]) <= 2 and len(cosets["considered"]) == 2 and len(cosets["candidates"]) == 4
    assert {"matrix", "loss", "determinant", "angle", "reflection"} <= set(cosets["kept"][0])
    summary_path = tmp_path / "results/atlas/pde/summary.csv"
    figure = tmp_path / "results/figures/pde.pdf"
    assert main(["atlas", "summarize", "--algebra", str(run / "algebra.json"), "--cosets", str(run / "cosets.json"),
                 "--out", str(summary_path)]) == 0
    summary = pd.read_csv(summary_path)
    assert list(summary.columns[:7]) == ["experiment", "atlas", "seed", "generators", "cosine_so2", "n_cosets",
                                         "reflection_found"]
    assert summary.loc[0, "n_cosets"] == len(cosets["kept"]) and 0 <= summary.loc[0, "cosine_so2"] <= 1
    assert main(["atlas", "plot", "--algebra", str(run / "algebra.json"), "--cosets", str(run / "cosets.json"),
                 "--out", str(figure)]) == 0
    assert figure.read_bytes().startswith(b"%PDF")
    leftovers = [p.name for p in tmp_path.rglob("*.part*")]
    assert not leftovers


def test_bad_inputs_give_clean_errors(tmp_path, data, capsys):
    bad = tmp_path / "algebra.json"
    bad.write_text(json.dumps({"basis": [[1.0, 2.0, 3.0]]}))
    out = tmp_path / "cosets.json"
    code = main(["atlas", "discover-cosets", *_common(data), "--predictor", "missing.pt", "--algebra", str(bad),
                 "--epochs", "1", "--out", str(out)])
    assert code == 2 and "'basis'" in capsys.readouterr().err and not out.exists()
    predictor = tmp_path / "p.pt"
    assert main(["atlas", "train-predictor", *_common(data), "--epochs", "1", "--max-samples", "4",
                 "--out", str(predictor)]) == 0
    code = main(["atlas", "discover-algebra", *_common(data, atlas=1), "--predictor", str(predictor),
                 "--epochs", "1", "--out", str(tmp_path / "a.json")])
    assert code == 2 and "atlas 2" in capsys.readouterr().err
    code = main(["atlas", "discover-algebra", *_common(tmp_path / "nothing.h5"), "--predictor", str(predictor),
                 "--epochs", "1", "--out", str(tmp_path / "a.json")])
    assert code == 2 and "nothing.h5" in capsys.readouterr().err
