"""The icosahedral grid of the sphere: 5 parallelogram charts of the unfolded icosahedron.

Geometry. The icosahedron has its north pole N = (0, 0, 1), an upper ring
U_0..U_4 at latitude +atan(1/2) and longitude 72°·k, a lower ring L_0..L_4 at
latitude −atan(1/2) and longitude 72°·k + 36°, and the south pole S. Its 20 faces
form 5 vertical strips; strip (chart) k is the chain of four faces

    top (N, U_k, U_k+1) – upper band (U_k, L_k, U_k+1)
      – lower band (L_k, U_k+1, L_k+1) – bottom (L_k, L_k+1, S),

which unfolds to a parallelogram of two rhombi. At resolution r every face edge is
cut into n = 2^r segments; the vertices of the subdivided icosahedron are points
of a triangular lattice on the flat faces, pushed radially onto the unit sphere.

Chart coordinates. Chart k is an array of H = 2^r rows × W = 2^(r+1) columns; pixel
(i, j) sits at lattice point u = i / n, v = j / n of the parallelogram whose corners
(in (u, v)) are U_k = (0, 0), L_k = (0, 1), S = (0, 2), N = (1, 0), U_k+1 = (1, 1),
L_k+1 = (1, 2). The lattice neighbours of (i, j) are (i, j) ± (0, 1), ± (1, 0),
± (1, 1) — the six taps of the hexagonal kernel (`conv.py`); in the plane of a
face the directions (0, 1), (1, 1), (1, 0), (0, −1), (−1, −1), (−1, 0) follow each
other by 60°.

Ownership convention (the one of icoCNN). Chart k holds its half-open
parallelogram 0 ≤ u < 1, 0 ≤ v < 2: its edges N–U_k, U_k–L_k and L_k–S (minus the
poles) but not its edges N–U_k+1, U_k+1–L_k+1, L_k+1–S, which belong to chart k + 1.
So the 5 charts partition the 10·4^r non-pole vertices (each exactly once), the
icosahedron vertices U_k and L_k sit at pixels (0, 0) and (0, n) of chart k, and
the two poles belong to no chart: they exist only in the padding (`padding.py`),
N at padded chart coordinate (n, 0), S at (0, 2n). Total: 10·4^r + 2 vertices.

Rotating the sphere by 72° about the polar axis maps chart k onto chart k + 1
pixel by pixel (`torch.roll(x, 1, dims=-3)` on a (..., 5, H, W) field).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..errors import InputError

CHARTS = 5
MAX_RESOLUTION = 10


def check_resolution(resolution) -> int:
    """The resolution r as an int ≥ 1 (InputError otherwise)."""
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)):
        raise InputError(f"icosahedral resolution must be an integer, got {resolution!r}")
    if not 1 <= int(resolution) <= MAX_RESOLUTION:
        raise InputError(f"icosahedral resolution must be between 1 and {MAX_RESOLUTION}, got {resolution}")
    return int(resolution)


def chart_shape(resolution) -> tuple[int, int]:
    """(H, W) = (2^r, 2^(r+1)) of each chart."""
    r = check_resolution(resolution)
    return 2 ** r, 2 ** (r + 1)


def resolution_of(height: int, width: int) -> int:
    """The resolution r of charts of H × W pixels (InputError unless H = 2^r, W = 2H, r ≥ 1)."""
    r = int(round(np.log2(height))) if height > 0 else -1
    if r < 1 or 2 ** r != height or width != 2 * height:
        raise InputError(f"icosahedral charts must be 2^r × 2^(r+1) pixels with r ≥ 1, got {height} × {width}")
    return check_resolution(r)


def icosahedron_vertices() -> dict[str, np.ndarray]:
    """The 12 vertices: 'N', 'S' (3,) and 'U', 'L' (5, 3) — upper and lower rings."""
    theta = np.arctan(0.5)
    k = np.arange(CHARTS)
    upper_lon = np.deg2rad(72.0 * k)
    lower_lon = np.deg2rad(72.0 * k + 36.0)
    ring = lambda lon, lat: np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon),
                                      np.full_like(lon, np.sin(lat))], axis=-1)
    return {"N": np.array([0.0, 0.0, 1.0]), "S": np.array([0.0, 0.0, -1.0]),
            "U": ring(upper_lon, theta), "L": ring(lower_lon, -theta)}


def chart_points(resolution, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Unit vectors (5, *rows.shape, 3) of lattice points (rows, cols) of every chart, for
    any 0 ≤ row ≤ n, 0 ≤ col ≤ 2n (the closed parallelogram: its far edges are the
    neighbouring charts' points and the poles)."""
    n = 2 ** check_resolution(resolution)
    u = np.asarray(rows, dtype=np.float64)[None, ..., None] / n
    v = np.asarray(cols, dtype=np.float64)[None, ..., None] / n
    ico = icosahedron_vertices()
    expand = (slice(None),) + (None,) * np.ndim(rows) + (slice(None),)
    north, south = ico["N"], ico["S"]
    uk, uk1 = ico["U"][expand], np.roll(ico["U"], -1, axis=0)[expand]
    lk, lk1 = ico["L"][expand], np.roll(ico["L"], -1, axis=0)[expand]
    top = uk + u * (north - uk) + v * (uk1 - north)             # u ≥ v, v ≤ 1
    upper = uk + v * (lk - uk) + u * (uk1 - lk)                 # u ≤ v ≤ 1
    lower = lk + u * (uk1 - lk) + (v - 1) * (lk1 - uk1)         # v ≥ 1, u ≥ v − 1
    bottom = lk + (v - 1) * (south - lk) + u * (lk1 - south)    # v ≥ 1, u ≤ v − 1
    flat = np.where(v <= 1, np.where(u >= v, top, upper), np.where(u >= v - 1, lower, bottom))
    return flat / np.linalg.norm(flat, axis=-1, keepdims=True)


@lru_cache(maxsize=None)
def _xyz(resolution: int) -> np.ndarray:
    h, w = chart_shape(resolution)
    rows, cols = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    out = chart_points(resolution, rows, cols)
    out.setflags(write=False)
    return out


def ico_xyz(resolution) -> np.ndarray:
    """Unit vectors (5, 2^r, 2^(r+1), 3) of the grid points each chart holds (poles excluded)."""
    return _xyz(check_resolution(resolution)).copy()


def ico_lat_lon(resolution) -> tuple[np.ndarray, np.ndarray]:
    """(lat, lon) in degrees, each (5, 2^r, 2^(r+1)): lat in [−90, 90], lon in [−180, 180)."""
    xyz = _xyz(check_resolution(resolution))
    lat = np.rad2deg(np.arcsin(np.clip(xyz[..., 2], -1.0, 1.0)))
    lon = np.rad2deg(np.arctan2(xyz[..., 1], xyz[..., 0]))
    lon = np.where(lon >= 180.0, lon - 360.0, lon)
    return lat, lon


def all_vertices(resolution) -> np.ndarray:
    """The 10·4^r + 2 vertices (V, 3): the charts' points in (chart, row, col) order, then N, S."""
    xyz = _xyz(check_resolution(resolution))
    ico = icosahedron_vertices()
    return np.concatenate([xyz.reshape(-1, 3), ico["N"][None], ico["S"][None]])


@lru_cache(maxsize=None)
def _mesh(resolution: int) -> tuple[np.ndarray, tuple[frozenset, ...]]:
    """(ids (5, n+1, 2n+1) of the closed charts' lattice points in `all_vertices` order,
    neighbour sets of every vertex) — the triangulation of the subdivided icosahedron."""
    from scipy.spatial import cKDTree

    n = 2 ** resolution
    rows, cols = np.meshgrid(np.arange(n + 1), np.arange(2 * n + 1), indexing="ij")
    closed = chart_points(resolution, rows, cols)
    vertices = all_vertices(resolution)
    distance, ids = cKDTree(vertices).query(closed.reshape(-1, 3))
    if distance.max() > 1e-9:  # every closed-chart point must be a vertex held once
        raise AssertionError(f"icosahedral grid r={resolution}: chart points do not match the vertex set")
    ids = ids.reshape(closed.shape[:-1])
    neighbours: list[set] = [set() for _ in range(len(vertices))]
    for di, dj in ((0, 1), (1, 0), (1, 1)):
        a = ids[:, : n + 1 - di, : 2 * n + 1 - dj].ravel()
        b = ids[:, di:, dj:].ravel()
        for p, q in zip(a.tolist(), b.tolist()):
            neighbours[p].add(q)
            neighbours[q].add(p)
    return ids, tuple(frozenset(s) for s in neighbours)


def mesh_edges(resolution) -> np.ndarray:
    """(E, 2) vertex-index pairs (into `all_vertices`) of the edges of the triangulation."""
    _, neighbours = _mesh(check_resolution(resolution))
    return np.array(sorted((p, q) for p, nb in enumerate(neighbours) for q in nb if p < q))


def great_circle(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angle in radians between unit vectors a and b (broadcast over leading axes)."""
    cross = np.linalg.norm(np.cross(a, b), axis=-1)
    return np.arctan2(cross, np.sum(a * b, axis=-1))


@lru_cache(maxsize=None)
def _median_spacing(resolution: int) -> float:
    vertices = all_vertices(resolution)
    edges = mesh_edges(resolution)
    return float(np.median(great_circle(vertices[edges[:, 0]], vertices[edges[:, 1]])))


def median_spacing(resolution) -> float:
    """Median great-circle length (radians) of the grid's edges (neighbouring vertices)."""
    return _median_spacing(check_resolution(resolution))
