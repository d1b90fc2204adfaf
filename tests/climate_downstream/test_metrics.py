"""IoU conventions on hand-made cases, the Jaccard loss, per-sample overlap counts."""

import numpy as np
import pytest
import torch

from symrepro.downstream.climate import iou_conventions, jaccard_loss, overlap_counts


def test_class_absent_from_truth_and_prediction():
    # one sample: background IoU 1/2, tropical cyclone IoU 1, atmospheric river absent from both
    result = iou_conventions([[1, 2, 0]], [[2, 2, 0]])
    assert result["reference"]["per_class"] == pytest.approx([0.5, 1.0, 0.0])
    assert result["reference"]["mean"] == pytest.approx(0.5)
    assert result["skip_empty"]["per_class"][:2] == pytest.approx([0.5, 1.0])
    assert np.isnan(result["skip_empty"]["per_class"][2])
    assert result["skip_empty"]["mean"] == pytest.approx(0.75)


def test_annotators_are_averaged_per_timestamp():
    # timestamp a: two annotators (IoUs 1 and 0 for class 1), timestamp b: one (IoU 1)
    inter = [[4, 1, 0], [4, 0, 0], [4, 2, 0]]
    union = [[4, 1, 0], [4, 1, 0], [4, 2, 0]]
    times = ["a", "a", "b"]
    by_time = iou_conventions(inter, union, times)
    # reference: class 1 = mean(mean(1, 0), 1) = 0.75 (per sample it would be 2/3)
    assert by_time["reference"]["per_class"] == pytest.approx([1.0, 0.75, 0.0])
    assert iou_conventions(inter, union)["reference"]["per_class"][1] == pytest.approx(2 / 3)
    # skip empty: per-sample means 1, 0.5, 1 → per timestamp 0.75, 1 → 0.875
    assert by_time["skip_empty"]["mean"] == pytest.approx(0.875)
    assert by_time["skip_empty"]["per_class"][:2] == pytest.approx([1.0, 0.75])
    # a class present for one annotator only of a timestamp: skipped for the other under (b), 0 under (a)
    mixed = iou_conventions([[3, 1, 0], [3, 0, 0]], [[3, 1, 0], [3, 0, 0]], ["a", "a"])
    assert mixed["reference"]["per_class"][1] == pytest.approx(0.5)
    assert mixed["skip_empty"]["per_class"][1] == pytest.approx(1.0)


def test_overlap_counts():
    pred = torch.tensor([[[0, 1], [2, 2]], [[0, 0], [0, 0]]])
    true = torch.tensor([[[0, 1], [1, 2]], [[0, 0], [0, 0]]])
    inter, union, correct = overlap_counts(pred, true)
    assert inter.tolist() == [[1, 1, 1], [4, 0, 0]]
    assert union.tolist() == [[1, 2, 2], [4, 0, 0]]
    assert correct.tolist() == [3, 4]
    result = iou_conventions(inter, union)
    assert result["reference"]["per_class"] == pytest.approx([1.0, 0.25, 0.25])
    assert result["skip_empty"]["mean"] == pytest.approx((2 / 3 + 1) / 2)


def test_jaccard_loss_zero_when_perfect_and_differentiable():
    labels = torch.randint(0, 3, (2, 5, 4, 8), generator=torch.Generator().manual_seed(0))
    perfect = 1e4 * torch.nn.functional.one_hot(labels, 3).movedim(-1, 1).float()
    assert float(jaccard_loss(perfect, labels)) == pytest.approx(0.0, abs=1e-6)
    logits = torch.randn(2, 3, 5, 4, 8, requires_grad=True)
    loss = jaccard_loss(logits, labels)
    assert 0 < float(loss.detach()) < 1
    loss.backward()
    assert logits.grad is not None and torch.isfinite(logits.grad).all() and logits.grad.abs().sum() > 0
    # the reference's form: 1 − mean over classes of Σ p·t / (Σ p + t − p·t)
    p = torch.softmax(logits.detach(), 1)
    t = torch.nn.functional.one_hot(labels, 3).movedim(-1, 1).float()
    dims = (0, 2, 3, 4)
    expected = 1 - ((p * t).sum(dims) / ((p + t).sum(dims) - (p * t).sum(dims) + 1e-7)).mean()
    assert float(loss.detach()) == pytest.approx(float(expected), rel=1e-6)
