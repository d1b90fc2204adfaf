"""LieGAN (Yang et al.), the global-symmetry baseline of MNIST on a sphere: a generator
over an so(3) basis rotates the sphere images and labels, a discriminator tells
rotated from original samples. See `model.py` and `train.py`; CLI `symrepro liegan`."""
