"""summary.csv of a discovery experiment: one row per run (view and seed), read from
its group.json (and algebra.json for the losses), compared with the experiment's
reference group in any dimension.

Columns: experiment, view, seed, generators (m), rank (of the discovered span),
reference (name), reference_rank, max_reference_residual (the largest relative
residual of a reference Lie generator projected onto the discovered span: 0 when
the discovered algebra contains the reference one), max_discovered_residual (the
largest residual of a discovered generator in the reference span: 0 when nothing
outside the reference was found), max_principal_angle (degrees), n_cosets (kept
coset representatives, identity component included), reflection_found (a kept
representative with det < 0), final_basis_loss, final_basis_loss_per_norm, then the
experiment's own readable extras (e.g. cosine_so2 for the heat equation).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..atomic import atomic_path
from ..errors import InputError
from ..experiments import ExperimentSpec
from ..symmetry import MatrixGroup

COLUMNS = ["experiment", "view", "seed", "generators", "rank", "reference", "reference_rank",
           "max_reference_residual", "max_discovered_residual", "max_principal_angle", "n_cosets",
           "reflection_found", "final_basis_loss", "final_basis_loss_per_norm"]


def _number(value) -> float:
    return math.nan if value is None else float(value)


def summary_row(spec: ExperimentSpec, group: MatrixGroup, algebra: dict) -> dict:
    meta = group.metadata
    if meta.get("experiment") != spec.name:
        raise InputError(f"group {group.name!r} belongs to experiment {meta.get('experiment')!r}, not {spec.name!r}")
    if (algebra.get("view"), algebra.get("seed")) != (meta.get("view"), meta.get("seed")):
        raise InputError(f"algebra of view {algebra.get('view')!r} seed {algebra.get('seed')} does not match group "
                         f"{group.name!r}")
    reference = spec.reference()
    comparison = group.compare(reference)
    cosets = meta.get("cosets") or []
    last = (algebra.get("history") or [{}])[-1]
    row = {
        "experiment": spec.name, "view": meta.get("view", ""), "seed": meta.get("seed"),
        "generators": len(group.lie_algebra), "rank": comparison["discovered_rank"], "reference": reference.name,
        "reference_rank": comparison["reference_rank"],
        "max_reference_residual": max(comparison["reference_in_discovered"], default=math.nan),
        "max_discovered_residual": max(comparison["discovered_in_reference"], default=math.nan),
        "max_principal_angle": max(comparison["principal_angles"], default=math.nan),
        "n_cosets": len(cosets), "reflection_found": any(_number(c.get("determinant")) < 0 for c in cosets),
        "final_basis_loss": _number(last.get("basis_loss")),
        "final_basis_loss_per_norm": _number(last.get("basis_loss_per_norm")),
    }
    if spec.summary_extras is not None:
        row.update(spec.summary_extras(group))
    return row


def summarize(spec: ExperimentSpec, runs: list[tuple[MatrixGroup, dict]],
              evaluations: list[dict] | None = None) -> pd.DataFrame:
    """One row per run; `evaluations` (eval.json payloads, same order) add their metrics."""
    rows = [summary_row(spec, g, a) for g, a in runs]
    for row, evaluation in zip(rows, evaluations or []):
        if (evaluation.get("view"), evaluation.get("seed")) != (row["view"], row["seed"]):
            raise InputError(f"evaluation of view {evaluation.get('view')!r} seed {evaluation.get('seed')} does not "
                             f"match the run of view {row['view']!r} seed {row['seed']}")
        row.update({k: v for k, v in (evaluation.get("metrics") or {}).items() if not isinstance(v, (list, dict))})
    columns = COLUMNS + [c for c in (rows[0] if rows else {}) if c not in COLUMNS]
    return pd.DataFrame(rows, columns=columns).sort_values(["view", "seed"]).reset_index(drop=True)


def write(frame: pd.DataFrame, path) -> None:
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, float_format="%.6g")


def aligned(matrix, target) -> np.ndarray:
    """`matrix` scaled to ‖target‖_F with a positive inner product with `target`."""
    m = np.asarray(matrix, dtype=float)
    t = np.asarray(target, dtype=float)
    sign = 1.0 if float((m * t).sum()) >= 0 else -1.0
    return sign * m * np.linalg.norm(t) / max(float(np.linalg.norm(m)), 1e-12)
