"""Downstream models built from a discovered group (`group.json`): each experiment's
module reads a `MatrixGroup` and derives its kernel constraint from it."""
