"""Equivariance vs augmentation dynamics (Flinth & Ohlsson, arXiv:2303.13458)."""
