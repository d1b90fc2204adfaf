"""Automatic local symmetry discovery (AtlasD): charts, Lie-algebra bases, equivariance
losses, trainers and coset discovery, plus the heat-equation experiment."""
