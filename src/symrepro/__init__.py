"""symrepro: reproduce two papers on symmetry in neural networks.

Sub-packages:
  groups    finite groups as data (generators permuting an index set) and the
            projections derived from them
  eqaug     equivariance-vs-augmentation dynamics (Flinth & Ohlsson)
  atlas     automatic local symmetry discovery (AtlasD)
"""

__version__ = "0.1.0"
