"""Icosahedral CNNs on the sphere: the grid (`grid`), padding across its charts
(`padding`), hexagonal gauge convolutions whose weight sharing comes from a
symmetry group (`conv`) and a U-Net on it (`unet`) — the climate downstream model."""
