"""The dynamics figure draws exactly the aggregated series: regimes, seeds, medians,
a full and a zoomed panel per experiment, titles that fit."""

import numpy as np
import pandas as pd

from symrepro.eqaug.figure import STYLE, plot
from symrepro.eqaug.metrics import totals


def _metrics(experiment: str, seeds: int, scale: float) -> pd.DataFrame:
    rows = []
    rng = np.random.default_rng(len(experiment))
    for seed in range(seeds):
        for regime, off in (("equivariant", 0.0), ("augmented", 0.01), ("nominal", 1.0)):
            for epoch in range(4):
                for layer in range(2):
                    rows.append(dict(experiment=experiment, seed=seed, regime=regime, epoch=epoch, layer=layer,
                                     loss=1.0 - 0.1 * epoch, dist_from_init=scale * epoch * (1 + rng.random()),
                                     dist_from_E=off * scale * epoch * (1 + rng.random())))
    return pd.DataFrame(rows)


def test_each_experiment_gets_a_full_and_a_zoomed_panel_with_the_aggregated_series(tmp_path):
    metrics = [_metrics("groups_rot", 3, 1.0), _metrics("groups_trans1d", 1, 2.0)]
    fig = plot(metrics, ["C4 rotations", "Z14 x-shifts"], tmp_path / "groups.pdf")
    assert (tmp_path / "groups.pdf").read_bytes().startswith(b"%PDF")
    axes = np.asarray(fig.axes).reshape(2, 2)
    for (full, zoom), frame, title, seeds in zip(axes, metrics, ["C4 rotations", "Z14 x-shifts"], (3, 1)):
        per_seed = totals(frame)
        assert full.get_title() == f"{title}\nall regimes" and zoom.get_title() == f"{title}\nzoom on augmented"
        # one thin line per seed and one bold median per regime; the zoom leaves out nominal
        assert len(full.lines) == 3 * (seeds + 1) and len(zoom.lines) == 2 * (seeds + 1)
        colours = {line.get_color() for line in zoom.lines}
        assert STYLE["nominal"]["color"] not in colours
        augmented = per_seed[per_seed.regime == "augmented"]
        median = augmented.groupby("epoch")[["dist_from_init", "dist_from_E"]].median()
        bold = [l for l in full.lines if l.get_label() == "augmented"][0]
        np.testing.assert_allclose(bold.get_xdata(), median.dist_from_init)
        np.testing.assert_allclose(bold.get_ydata(), median.dist_from_E)
        # the zoom is scaled to the augmented runs, the full panel to the nominal ones
        assert abs(zoom.get_ylim()[1] - 1.05 * augmented.dist_from_E.max()) < 1e-9
        assert abs(full.get_ylim()[1] - 1.05 * per_seed.dist_from_E.max()) < 1e-9
        # titles fit in the figure (not clipped at the page edge)
        fig.canvas.draw()
        box = full.title.get_window_extent().union([zoom.title.get_window_extent()])
        page = fig.bbox
        assert box.x0 >= page.x0 and box.x1 <= page.x1


def test_the_claim_check_passes_and_fails_on_the_aggregated_numbers(tmp_path):
    import pytest

    from symrepro.cli import main
    from symrepro.eqaug.metrics import check_claim, summarize, write_csv
    from symrepro.errors import ClaimNotReproduced

    good = _metrics("perm", 3, 1.0)
    numbers = check_claim(summarize(good))["perm"]
    assert numbers["equivariant"] == 0 and numbers["augmented"] < numbers["nominal"]
    swapped = good.copy()
    swapped.loc[swapped.regime == "augmented", "regime"], swapped.loc[good.regime == "nominal", "regime"] = \
        "nominal", "augmented"
    with pytest.raises(ClaimNotReproduced, match="perm: augmented"):
        check_claim(summarize(swapped))
    drifting = good.copy()
    drifting.loc[drifting.regime == "equivariant", "dist_from_E"] = 1e-3
    with pytest.raises(ClaimNotReproduced, match="left E"):
        check_claim(summarize(drifting))
    write_csv(swapped, tmp_path / "run.csv")
    code = main(["eqaug", "aggregate", "--check-claim", "--inputs", str(tmp_path / "run.csv"),
                 "--metrics", str(tmp_path / "metrics.csv"), "--summary", str(tmp_path / "summary.csv")])
    assert code == 3 and not (tmp_path / "summary.csv").exists()
