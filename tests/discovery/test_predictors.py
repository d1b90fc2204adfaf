"""Per-chart predictors as grouped convolutions."""

import torch
from torch import nn

from symrepro.discovery.predictors import ChartConvNet


def test_charts_are_independent_networks():
    torch.manual_seed(0)
    net = ChartConvNet(3, hidden=4, layers=3).eval()
    x = torch.randn(2, 3, 1, 11, 11)
    y = net(x)
    x2 = x.clone()
    x2[:, 1] += 1.0
    y2 = net(x2)
    assert torch.equal(y[:, 0], y2[:, 0]) and torch.equal(y[:, 2], y2[:, 2])
    assert not torch.allclose(y[:, 1], y2[:, 1])
    # chart 2 equals a plain conv stack built from its slice of the weights
    k, h = 2, 4
    layers = []
    for i, conv in enumerate(net.convs):
        out_c = conv.weight.shape[0] // 3
        plain = nn.Conv2d(conv.weight.shape[1], out_c, 3, padding=1)
        plain.weight.data = conv.weight.data[k * out_c:(k + 1) * out_c]
        plain.bias.data = conv.bias.data[k * out_c:(k + 1) * out_c]
        layers.append(plain)
        if i < len(net.norms):
            bn = nn.BatchNorm2d(h).eval()
            src = net.norms[i]
            for name in ("weight", "bias", "running_mean", "running_var"):
                getattr(bn, name).data = getattr(src, name).data[k * h:(k + 1) * h]
            layers += [nn.LeakyReLU(), bn]
    torch.testing.assert_close(nn.Sequential(*layers)(x[:, k]), y[:, k], atol=1e-5, rtol=1e-5)


def test_window_is_the_exact_crop_in_evaluation_mode():
    torch.manual_seed(1)
    net = ChartConvNet(2, hidden=5, layers=4)
    net.train()
    net(torch.randn(8, 2, 1, 15, 15))  # give BatchNorm non-trivial running statistics
    net.eval()
    x = torch.randn(3, 2, 1, 15, 15)
    full = net(x)
    torch.testing.assert_close(net.window(x, 3), full[..., 4:11, 4:11], atol=1e-5, rtol=1e-5)
    # too close to the edge: falls back to the full pass
    torch.testing.assert_close(net.window(x, 5), full[..., 2:13, 2:13])
