"""Per atlas and seed: how close the discovered generator is to so(2), and the cosets."""

from __future__ import annotations

import pandas as pd
import torch

from ..atomic import atomic_path
from .lie_algebra import cosine_to
from .pde import SO2


def summarize(runs: list[tuple[dict, dict]]) -> pd.DataFrame:
    rows = []
    for algebra, cosets in runs:
        basis = torch.tensor(algebra["basis"])
        best = max(cosine_to(b, SO2) for b in basis)
        rows.append({
            "experiment": algebra.get("experiment", "pde"), "atlas": algebra["atlas"], "seed": algebra["seed"],
            "generators": len(basis), "cosine_so2": best,
            "final_basis_loss": algebra["history"][-1]["basis_loss"] if algebra["history"] else float("nan"),
            "n_cosets": len(cosets["kept"]),
            "reflection_found": any(k["reflection"] for k in cosets["kept"]),
        })
    return pd.DataFrame(rows).sort_values(["atlas", "seed"]).reset_index(drop=True)


def write(frame: pd.DataFrame, path) -> None:
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, float_format="%.6g")
