"""Per-epoch learning-rate schedules of the downstream trainers."""

import math

import pytest

from symrepro.downstream.climate import train
from symrepro.downstream.schedule import epoch_rate
from symrepro.errors import InputError


def test_cosine_anneals_from_lr_towards_zero_and_constant_keeps_it():
    rates = [epoch_rate("cosine", 0.003, e, 30) for e in range(30)]
    assert rates[0] == 0.003 and rates[15] == pytest.approx(0.0015)
    assert all(a > b for a, b in zip(rates, rates[1:])) and rates[-1] == pytest.approx(0.003 * (1 - math.cos(math.pi / 30)) / 2)
    assert {epoch_rate("constant", 0.003, e, 30) for e in range(30)} == {0.003}
    with pytest.raises(InputError, match="lr-schedule"):
        epoch_rate("step", 0.003, 0, 30)


def test_the_climate_trainer_applies_and_records_the_schedule(climate_files, tiny_factory):
    options = dict(epochs=4, widths=(4,), batch_size=3, seed=0, device="cpu", threads=1, model_factory=tiny_factory,
                   lr=0.01)
    annealed = train("baseline", None, *climate_files, lr_schedule="cosine", **options)
    constant = train("baseline", None, *climate_files, **options)
    assert [row["lr"] for row in annealed["history"]] == pytest.approx([0.01, 0.01 * (1 + math.cos(math.pi / 4)) / 2,
                                                                        0.005, 0.01 * (1 - math.cos(math.pi / 4)) / 2])
    assert [row["lr"] for row in constant["history"]] == [0.01] * 4
    assert annealed["lr_schedule"] == "cosine" and constant["lr_schedule"] == "constant"
    # epoch 0 runs at the same rate; from epoch 1 on the smaller rate changes the training
    assert annealed["history"][0]["train_loss"] == constant["history"][0]["train_loss"]
    assert annealed["history"][-1]["train_loss"] != constant["history"][-1]["train_loss"]
    with pytest.raises(InputError, match="lr-schedule"):
        train("baseline", None, *climate_files, lr_schedule="linear", **options)
