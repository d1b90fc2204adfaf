"""Equivariance losses on predictors whose symmetries are known."""

import torch
import torch.nn.functional as F

from symrepro.discovery.equivariance_loss import (global_invariance_loss, l1_loss, local_equivariance_loss,
                                              soft_cross_entropy)
from symrepro.discovery.lie_algebra import GroupSample

J = torch.tensor([[0.0, -1.0], [1.0, 0.0]])


def _sample(g):
    return GroupSample(g, None, None)


def test_pointwise_predictor_is_equivariant_and_a_derivative_is_not_under_rotation():
    patches = torch.randn(4, 2, 1, 13, 13, generator=torch.Generator().manual_seed(0))
    angles = torch.rand(4, 2, generator=torch.Generator().manual_seed(1)) * 6.28
    c, s = torch.cos(angles), torch.sin(angles)
    g = torch.stack([torch.stack([c, -s], -1), torch.stack([s, c], -1)], -2)

    def pointwise(x):
        return torch.tanh(x) * 2

    def d_dx(x):
        b, k, ch, h, w = x.shape
        kernel = torch.tensor([[[[-0.5, 0.0, 0.5]]]])
        return F.conv2d(x.reshape(-1, 1, h, w), kernel, padding=(0, 1)).reshape(b, k, ch, h, w)

    zero = local_equivariance_loss(pointwise, patches, _sample(g), 4, in_mode="nearest", out_mode="nearest")
    assert zero.shape == (4,) and torch.all(zero == 0)
    quarter = J.expand(4, 2, 2, 2)
    assert local_equivariance_loss(d_dx, patches, _sample(quarter), 4).min() > 0.1
    stretch = torch.diag(torch.tensor([1.5, 1.0])).expand(4, 2, 2, 2)
    assert local_equivariance_loss(pointwise, patches, _sample(stretch), 4, in_mode="nearest",
                                   out_mode="nearest").max() == 0  # pointwise maps commute with any resampling


def test_logits_are_compared_with_probabilities():
    logits = torch.randn(3, 1, 4, 9, 9)
    eye = torch.eye(2).expand(3, 1, 2, 2)
    loss = local_equivariance_loss(lambda x: x, logits, _sample(eye), 2, loss=soft_cross_entropy(-3), logits=True)
    inner = logits[..., 2:7, 2:7]
    p = torch.softmax(inner, -3)
    entropy = -(p * torch.log_softmax(inner, -3)).sum(-3).flatten(1).mean(1)
    torch.testing.assert_close(loss, entropy)


def test_global_invariance_loss():
    x = torch.randn(5, 7, 2)
    g = torch.linalg.matrix_exp(torch.randn(5, 1, 1) * J)
    norm = global_invariance_loss(lambda v: (v ** 2).sum(-1), x, g)
    assert norm.shape == (5,) and norm.max() < 1e-5
    first = global_invariance_loss(lambda v: v[..., 0], x, g, loss=l1_loss)
    assert first.min() > 1e-3
