"""Datasets: each module generates (or downloads and converts) ONE dataset into ONE
HDF5 file, and loads it back with its shape and dtype checked."""
