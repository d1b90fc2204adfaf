"""Equivariant-to-the-end networks (the rotation experiment's segmentation net)."""

import torch

from symrepro.datasets import shapes
from symrepro.eqaug.architecture import Architecture, forward, to_matrix
from symrepro.eqaug.starting_point import equivariant_start
from symrepro.eqaug.task import Task
from symrepro.eqaug.training import Settings, Trainer
from symrepro.symmetry import make_group


def _task(n_side=8, count=64, seed=0):
    """Simple shapes at n_side×n_side: image − 0.5 -> (triangle, pentagon) masks."""
    data = shapes.generate(count, seed, size=n_side)
    images = torch.as_tensor(data["images"]).reshape(count, -1)
    masks = torch.stack([torch.as_tensor(data["triangle"]), torch.as_tensor(data["pentagon"])], 1)
    return Task(images - 0.5, masks.reshape(count, -1), "segmentation_bce", 1, n_side * n_side)


def test_trained_equivariant_segmentation_net_output_rotates_with_its_input():
    group = make_group("rotation_c4", 8)
    arch = Architecture(degree=64, channels=(1, 4, 4, 2), invariant_width=None, init_fan="in")
    task = _task()
    trainer = Trainer(arch, task, group, Settings(epochs=5, lr=0.5, augment_passes=2, augment_per="batch",
                                                  batch_size=16, chunk_size=64), torch.device("cpu"))
    rows = trainer.run(equivariant_start(arch, group, seed=1), "equivariant", seed=1)
    assert rows[-1]["loss"] < rows[0]["loss"]  # it learned something
    state = trainer.final_state
    mats = [to_matrix(state[f"layers.{k}"]) for k in range(3)]
    x = task.inputs[:8]
    rot90 = torch.as_tensor(group.generators[0])
    out = forward(arch, x, mats, [])
    out_rotated_input = forward(arch, x[:, rot90], mats, [])
    rotated_out = out.view(8, 2, 64)[:, :, rot90].reshape(8, -1)
    torch.testing.assert_close(out_rotated_input, rotated_out, rtol=1e-4, atol=1e-5)
    assert not torch.allclose(out_rotated_input, out, atol=1e-3)  # the output really changes


def test_segmentation_augmentation_moves_masks_with_their_image():
    group = make_group("rotation_c4", 8)
    task = _task()
    perms = group.sample(64, torch.Generator().manual_seed(0))
    x, y = task.transformed(torch.arange(64), perms)
    images = (x + 0.5).view(64, 64)
    masks = y.view(64, 2, 64).sum(1)  # the present shape's mask, moved with its image
    torch.testing.assert_close(masks, (images > 0.5).float())
    assert not torch.equal(x, task.inputs)  # the images did move
