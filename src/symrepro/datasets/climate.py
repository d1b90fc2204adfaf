"""ClimateNet (CAM5 fields, tropical-cyclone and atmospheric-river labels): download + conversion, or a stand-in.

Reference data (Prabhat et al., ClimateNet): one netCDF4 file per (timestamp,
annotator), `data-YYYY-MM-DD-HH-1_K.nc`, under the NERSC portal directories
`<base-url>/train/` (398 files) and `<base-url>/test/` (61 files), ≈64 MB each (≈29 GB
in all). Each holds the 16 variables TMQ, U850, V850, UBOT, VBOT, QREFHT, PS, PSL,
T200, T500, PRECT, TS, TREFHT, Z1000, Z200, ZBOT as float32 (time=1, lat, lon) on a
768×1152 lat-lon grid (lat ascending −90…90, lon 0…360 − 360/1152), and LABELS
(lat, lon) with 0 background, 1 tropical cyclone (TC), 2 atmospheric river (AR).

`--source official` reads the file list from the portal's directory index (the hrefs
matching the file pattern, sorted; `--max-files N` keeps the first N) and downloads
the files one at a time with pooch (retries, tqdm progress bar) into --raw-dir. There
are no upstream checksums: `--write-manifest PATH` records the SHA-256 and size of
every downloaded file in a JSON manifest (merged into PATH when it exists), which the
user then pins with `--manifest PATH`; with a pinned manifest every file must match
it (a mismatch is an error naming the file, and the bad file is removed). An official
run needs one of the two options. Every file is then checked (the 16 variables and
LABELS present, a 768×1152 grid, labels ⊆ {0, 1, 2}, finite fields, ascending
coordinates), converted, and deleted unless `--keep-raw`: only one raw file is ever on
disk or in memory.

`--source synthetic` (and `control`, the negative control) writes stand-in files in
the same netCDF format (h5netcdf; same names, dimensions, attributes, dtypes) into
--raw-dir, which then go through the same conversion. Grid --shape H W (default
768×1152; any shape with room for the charts; the 768×1152 check applies to official
files only), --n-files per split, seeded (file i of split s uses the RNG
[seed, s, i]). Fields, in units of the normalisation (z = (x − mean)/std): a smooth
random background (low-resolution noise upsampled, plus a latitude profile for the
moisture and temperature variables), squashed into z ∈ [−1.15, 1.5] (TMQ stays > 0);
PRECT is log-normal. On top of it:

* cyclone-like vortices: a (slightly elliptical, random orientation) Gaussian bump
  in TMQ (+3.5…4.5 z), a wider pressure low in PSL and PS (−4.5…5.5 z of PSL, in Pa;
  1.6× the TMQ width), a wind (U850, V850, and 0.8× in UBOT, VBOT) following the
  low's gradient turned by a random angle, a moist/rainy core (QREFHT, PRECT), a warm
  core (T500, Z200) and a geopotential low (Z1000);
* river-like filaments: long thin curved bands (a parabola of random orientation
  and curvature, tapered ends) of high TMQ (+3…4 z) with a wind (20–30 m/s) in a
  random direction.

Why random wind directions (a real cyclone's wind follows its isobars, a river's its
band): the reference feeds the winds to the discovery predictor as scalars (its
`identity` input representation). Rotating a chart then turns the features but not
the wind vectors, and with winds tied to the features the rotated fields are
unlike any training sample: the predictor can read a feature's orientation from
(U, V) relative to its shape, and rotations stop being a symmetry of the data. With the wind direction drawn independently of the feature,
rotating a chart gives a sample of the same distribution (a turned wind is another
random direction), so rotations are a symmetry of the data as well as of the labels.
`--feature-scale` multiplies the widths of vortices and bands (default 1: the same
width in degrees at every --shape); the quick configuration widens them on its
coarse grids. `--size-spread S` widens the distribution of feature sizes (a further
log-uniform factor in [1/S, S], vortex axis ratios up to 1.5·S), so that a chart
stretched, squeezed or sheared by the probe's transformations still looks like a
training sample; the labelling rule is unchanged.

At least two vortices and two bands lie inside the discovery charts' region (below),
more elsewhere on the globe. The two bands placed inside that region run roughly
east–west (within ±12°; the others, and every vortex, have a random orientation), so
the negative control below keeps rivers in the charts; both sources share them. The
labels stay rotation-equivariant (below), but the band orientations in the charts are
not uniform: the probe's stand-in spectrum measures what that costs the predictor.
The labels are POINTWISE rules on the final fields:

    TC  where TMQ > mean + 2 std and PSL < mean − 2 std,
    AR  where TMQ > mean + 2 std and not TC,

and background elsewhere (the background alone never crosses these thresholds). The
label at a point is thus a function of scalar values at that point only, so every
transformation of the chart coordinates acting on the fields as scalars (the
`identity` input representation of the reference) — rotations AND the whole local
GL(2) action — is a symmetry of the labelling rule, up to the discretisation of the
grid: rotating, shearing or scaling a feature moves its label with it.

`--source control` is identical except that the AR class is labelled only where the
band generating it runs roughly east–west (its local tangent within ±15° of the
longitude direction); bands in other orientations stay background, so rotations are
NOT a symmetry (the random wind direction carries no information about the band's
orientation, so the predictor must read it from the band's shape).

Conversion (one netCDF file → one appended sample; written to a temporary name and
renamed at the end): `<out>` (conventionally climate_<split>.h5) with attrs format,
source, split, height, width, crop_row0, crop_col0, chart_rows, chart_col,
chart_radius, ico_resolution, discovery_variables, ico_variables, means, stds,
stats; the datasets

* `discovery/fields` (N, 4, Hc, Wc) float16: TMQ, U850, V850, PSL normalised, cropped
  to the union of the four discovery charts — centres at rows round(f·H) for
  f = 0.35, 0.45, 0.55, 0.65 and column round(W/2), radius R = round(200·H/768)
  (rounding half up); rows round(0.35H) − R … round(0.65H) + R, columns
  round(W/2) − R … round(W/2) + R, inclusive (rows 69…699 and columns 376…776 at
  768×1152: 631×401). The reference truncates the centres instead (int(0.35·768) =
  268 …); the centres used are stored in `chart_rows`/`chart_col`;
* `discovery/labels` (N, Hc, Wc) uint8;
* `ico/fields` (N, 16, 5, 2**r, 2**(r+1)) float16 normalised, nearest-neighbour
  regridded onto the icosahedral grid of resolution r (`symrepro.icosahedral.grid.
  ico_lat_lon`), `ico/labels` (N, 5, 2**r, 2**(r+1)) uint8, `ico/source_index`
  (5, 2**r, 2**(r+1)) int64, the flat lat-lon index each icosahedral point copies;
* `time` (N,) S13 'YYYY-MM-DD-HH' and `annotator` (N,) int16 from the file name (the
  test set has several annotators per timestamp), `file` (N,) the file names.

All datasets are chunked one sample per chunk (gzip level 1).

Normalisation: `--stats atlas` (default) uses the means/stds of the reference
implementation (Rose-STL-Lab/ATLAS, experiment_climate.py, downstream task; its
discovery task uses the same values to 4–5 digits); `--stats given` the values
handed to this module's author by its brief, which could not be traced to a source
(they differ from the reference by up to 2 % in the means and 20 % in the stds).
"""

from __future__ import annotations

import argparse
import hashlib
import html
import logging
import math
import os
import re
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import h5py
import numpy as np

from ..atomic import atomic_path, read_json_object, write_json
from ..errors import InputError

log = logging.getLogger(__name__)

FORMAT = "symrepro.climate/1"
MANIFEST_FORMAT = "symrepro.climate-manifest/1"
PORTAL = "https://portal.nersc.gov/project/ClimateNet/climatenet_new/"
SPLITS = ("train", "test")
SOURCES = ("official", "synthetic", "control")
VARIABLES = ("TMQ", "U850", "V850", "UBOT", "VBOT", "QREFHT", "PS", "PSL", "T200", "T500", "PRECT", "TS",
             "TREFHT", "Z1000", "Z200", "ZBOT")
DISCOVERY_VARIABLES = ("TMQ", "U850", "V850", "PSL")
LABEL_VARIABLE = "LABELS"
CLASSES = ("background", "tropical cyclone", "atmospheric river")
OFFICIAL_SHAPE = (768, 1152)
CHART_FRACTIONS = (0.35, 0.45, 0.55, 0.65)
CHART_RADIUS = 200  # in-radius of the reference's charts at 768 rows
FILE_RE = re.compile(r"^data-(\d{4}-\d{2}-\d{2}-\d{2})-\d+_(\d+)\.nc$")

# variable order of VARIABLES
STATS = {
    # Rose-STL-Lab/ATLAS experiment_climate.py (downstream fields)
    "atlas": (
        (19.2185, 1.5530, 0.2541, 0.1249, 0.3154, 0.0078, 96571.6172, 100814.0781, 213.2091, 253.0382,
         2.9458e-08, 278.7115, 278.4212, 474.1728, 11736.1035, 61.3115),
        (15.8173, 8.2976, 6.2316, 6.6533, 5.7842, 0.0062, 9700.1006, 1461.2256, 7.8898, 12.8253,
         1.5564e-07, 23.6825, 22.5119, 832.8082, 633.2581, 4.9095),
    ),
    # the values of this module's brief (source unknown)
    "given": (
        (19.218, 1.5551, 0.25381, 0.12694, 0.12135, 0.0092043, 98553, 100960, 213.34, 253.05, 3.1939e-08,
         278.72, 278.00, 474.24, 11920, 61.399),
        (15.812, 8.8556, 6.3005, 5.5929, 4.8077, 0.0060568, 8734.2, 1424.6, 8.6968, 12.988, 1.2379e-07,
         23.624, 22.484, 1022.4, 614.67, 5.0484),
    ),
}

UNITS = {"TMQ": "kg m-2", "U850": "m/s", "V850": "m/s", "UBOT": "m/s", "VBOT": "m/s", "QREFHT": "kg/kg",
         "PS": "Pa", "PSL": "Pa", "T200": "K", "T500": "K", "PRECT": "m/s", "TS": "K", "TREFHT": "K",
         "Z1000": "m", "Z200": "m", "ZBOT": "m"}
LONG_NAMES = {"TMQ": "Total (vertically integrated) precipitable water", "U850": "Zonal wind at 850 mbar",
              "V850": "Meridional wind at 850 mbar", "UBOT": "Lowest model level zonal wind",
              "VBOT": "Lowest model level meridional wind", "QREFHT": "Reference height humidity",
              "PS": "Surface pressure", "PSL": "Sea level pressure", "T200": "Temperature at 200 mbar",
              "T500": "Temperature at 500 mbar", "PRECT": "Total (convective and large-scale) precipitation rate",
              "TS": "Surface temperature (radiative)", "TREFHT": "Reference height temperature",
              "Z1000": "Geopotential Z at 1000 mbar", "Z200": "Geopotential Z at 200 mbar",
              "ZBOT": "Lowest model level height"}


def _round(x: float) -> int:
    """Round half up (Python's round() rounds half to even)."""
    return int(math.floor(x + 0.5))


def stats(name: str) -> tuple[np.ndarray, np.ndarray]:
    if name not in STATS:
        raise InputError(f"--stats must be one of {sorted(STATS)}, got {name!r}")
    means, stds = STATS[name]
    return np.asarray(means, dtype=np.float64), np.asarray(stds, dtype=np.float64)


# ------------------------------------------------------------------ geometry
@dataclass(frozen=True)
class Charts:
    """The four discovery charts of an H×W grid and the crop holding them."""

    rows: tuple[int, ...]
    col: int
    radius: int
    row0: int
    row1: int  # inclusive
    col0: int
    col1: int  # inclusive

    @property
    def shape(self) -> tuple[int, int]:
        return self.row1 - self.row0 + 1, self.col1 - self.col0 + 1


def chart_geometry(height: int, width: int) -> Charts:
    radius = _round(CHART_RADIUS * height / OFFICIAL_SHAPE[0])
    rows = tuple(_round(f * height) for f in CHART_FRACTIONS)
    col = _round(0.5 * width)
    charts = Charts(rows, col, radius, rows[0] - radius, rows[-1] + radius, col - radius, col + radius)
    if radius < 1 or charts.row0 < 0 or charts.col0 < 0 or charts.row1 >= height or charts.col1 >= width:
        raise InputError(f"a {height}×{width} grid has no room for the discovery charts (radius {radius} around "
                         f"rows {rows}, column {col}); use at least 8 rows and width >= 0.53 × height")
    return charts


def regular_grid(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """The CAM5 lat-lon grid: lat ascending −90…90 (poles included), lon 0…360 − 360/W."""
    return np.linspace(-90.0, 90.0, height), np.arange(width) * (360.0 / width)


def nearest_indices(lat_deg, lon_deg, height: int, width: int, grid_lat=None, grid_lon=None) -> np.ndarray:
    """Flat indices (row·width + col) into the lat-lon grid of the points nearest to
    (lat_deg, lon_deg), any shape, in degrees: nearest row in latitude, nearest column
    in longitude (periodic). The grid is `regular_grid(height, width)` unless its
    ascending coordinate vectors `grid_lat`, `grid_lon` are given."""
    lat = np.asarray(lat_deg, dtype=np.float64)
    lon = np.asarray(lon_deg, dtype=np.float64)
    if lat.shape != lon.shape:
        raise InputError(f"latitudes {lat.shape} and longitudes {lon.shape} differ in shape")
    if not (np.isfinite(lat).all() and np.isfinite(lon).all()):
        raise InputError("non-finite target coordinates")
    if (np.abs(lat) > 90.0 + 1e-6).any():
        raise InputError(f"target latitudes outside [-90, 90]: {lat.min()}…{lat.max()}")
    default_lat, default_lon = regular_grid(height, width)
    glat = default_lat if grid_lat is None else np.asarray(grid_lat, dtype=np.float64)
    glon = default_lon if grid_lon is None else np.asarray(grid_lon, dtype=np.float64)
    if glat.shape != (height,) or glon.shape != (width,):
        raise InputError(f"grid coordinates of shapes {glat.shape}, {glon.shape} for a {height}×{width} grid")
    if height > 1 and (np.diff(glat) <= 0).any() or width > 1 and (np.diff(glon) <= 0).any():
        raise InputError("grid coordinates must be strictly ascending")
    i = np.clip(np.searchsorted(glat, lat), 1, max(height - 1, 1))
    rows = np.where(np.abs(lat - glat[i - 1]) <= np.abs(glat[np.minimum(i, height - 1)] - lat), i - 1, i)
    rows = np.clip(rows, 0, height - 1)
    x = np.mod(lon - glon[0], 360.0) + glon[0]  # in [glon[0], glon[0] + 360)
    wrapped = np.append(glon, glon[0] + 360.0)
    j = np.clip(np.searchsorted(wrapped, x), 1, width)
    cols = np.where(np.abs(x - wrapped[j - 1]) <= np.abs(wrapped[j] - x), j - 1, j) % width
    return (rows * width + cols).astype(np.int64)


def _ico_lat_lon(resolution: int):
    from ..icosahedral.grid import ico_lat_lon  # written on the `ico` branch; imported when needed

    return ico_lat_lon(resolution)


# ------------------------------------------------------------------ file names
def parse_name(name: str) -> tuple[str, int]:
    """('YYYY-MM-DD-HH', annotator) from 'data-YYYY-MM-DD-HH-1_K.nc'."""
    match = FILE_RE.match(name)
    if not match:
        raise InputError(f"{name}: not a ClimateNet file name (data-YYYY-MM-DD-HH-1_K.nc)")
    return match.group(1), int(match.group(2))


def parse_index(text: str) -> list[str]:
    """The ClimateNet file names linked from an HTML directory index, sorted, unique."""
    names = set()
    for href in re.findall(r"""href\s*=\s*["']([^"']+)["']""", text, flags=re.IGNORECASE):
        path = urllib.parse.urlsplit(html.unescape(href)).path
        name = urllib.parse.unquote(path.rstrip("/").rsplit("/", 1)[-1])
        if FILE_RE.match(name):
            names.add(name)
    return sorted(names)


# ------------------------------------------------------------------ netCDF files
def write_netcdf(path: str | os.PathLike, fields: dict, labels: np.ndarray, time: str,
                 lat: np.ndarray | None = None, lon: np.ndarray | None = None, compression: str | None = None) -> None:
    """Write one file in the ClimateNet layout (atomically): the variables of `fields`
    as float32 (time=1, lat, lon), LABELS int64 (lat, lon), coordinates lat, lon, time."""
    import h5netcdf

    labels = np.asarray(labels)
    height, width = labels.shape
    default_lat, default_lon = regular_grid(height, width)
    lat = default_lat if lat is None else lat
    lon = default_lon if lon is None else lon
    with atomic_path(path) as tmp, h5netcdf.File(tmp, "w") as f:
        f.dimensions = {"time": 1, "lat": height, "lon": width}
        f.attrs["source"] = "symrepro synthetic stand-in in the ClimateNet (CAM5) layout"
        v = f.create_variable("lat", ("lat",), "f8", data=lat)
        v.attrs.update({"units": "degrees_north", "long_name": "latitude"})
        v = f.create_variable("lon", ("lon",), "f8", data=lon)
        v.attrs.update({"units": "degrees_east", "long_name": "longitude"})
        v = f.create_variable("time", ("time",), "f8", data=np.zeros(1))
        day = time[:10]
        v.attrs.update({"units": f"days since {day} {time[11:13]}:00:00", "calendar": "noleap", "long_name": "time"})
        for name, value in fields.items():
            v = f.create_variable(name, ("time", "lat", "lon"), "f4",
                                  data=np.asarray(value, dtype=np.float32)[None], compression=compression)
            v.attrs.update({"units": UNITS.get(name, ""), "long_name": LONG_NAMES.get(name, name)})
        v = f.create_variable(LABEL_VARIABLE, ("lat", "lon"), "i8", data=labels.astype(np.int64),
                              compression=compression)
        v.attrs.update({"long_name": "0: background, 1: tropical cyclone, 2: atmospheric river"})


def read_netcdf(path: str | os.PathLike, expected_shape: tuple[int, int] | None = None):
    """Read and check one ClimateNet file: (fields (16, H, W) float32 in VARIABLES order,
    labels (H, W) uint8, lat, lon). Every problem is an InputError naming the file."""
    import h5netcdf

    path = Path(path)
    name = path.name
    try:
        f = h5netcdf.File(path, "r")
    except (OSError, ValueError) as err:
        raise InputError(f"{name}: not a readable netCDF4/HDF5 file (truncated or corrupt?): {err}") from err
    with f:
        present = set(f.variables)
        missing = [v for v in (*VARIABLES, LABEL_VARIABLE, "lat", "lon") if v not in present]
        if missing:
            raise InputError(f"{name}: lacks the variable(s) {missing}")
        try:
            lat = np.asarray(f.variables["lat"][...], dtype=np.float64).ravel()
            lon = np.asarray(f.variables["lon"][...], dtype=np.float64).ravel()
        except (OSError, ValueError, KeyError) as err:
            raise InputError(f"{name}: coordinates cannot be read: {err}") from err
        shape = (len(lat), len(lon))
        if expected_shape is not None and shape != tuple(expected_shape):
            raise InputError(f"{name}: a {shape[0]}×{shape[1]} grid, expected {expected_shape[0]}×{expected_shape[1]}")
        if len(lat) > 1 and not (np.diff(lat) > 0).all() or not np.isfinite(lat).all() or np.abs(lat).max() > 90:
            raise InputError(f"{name}: lat must ascend within [-90, 90] ({lat[:2]}…{lat[-1:]})")
        if len(lon) > 1 and not (np.diff(lon) > 0).all() or not np.isfinite(lon).all() \
                or lon[-1] - lon[0] >= 360:
            raise InputError(f"{name}: lon must ascend over less than 360 degrees ({lon[:2]}…{lon[-1:]})")

        def grid(var: str) -> np.ndarray:
            v = f.variables[var]
            if tuple(v.shape[-2:]) != shape or any(s != 1 for s in v.shape[:-2]):
                raise InputError(f"{name}: {var} has shape {tuple(v.shape)}, expected (1, {shape[0]}, {shape[1]}) "
                                 f"or {shape}")
            try:
                return np.asarray(v[...]).reshape(shape)
            except (OSError, ValueError) as err:
                raise InputError(f"{name}: {var} cannot be read (truncated?): {err}") from err

        fields = np.empty((len(VARIABLES), *shape), dtype=np.float32)
        for k, var in enumerate(VARIABLES):
            fields[k] = grid(var)
            if not np.isfinite(fields[k]).all():
                raise InputError(f"{name}: {var} has non-finite values")
        raw_labels = grid(LABEL_VARIABLE)
    if not np.isin(raw_labels, (0, 1, 2)).all():
        bad = np.unique(raw_labels[~np.isin(raw_labels, (0, 1, 2))])[:5]
        raise InputError(f"{name}: LABELS must lie in {{0, 1, 2}}, found {bad.tolist()}")
    return fields, raw_labels.astype(np.uint8), lat, lon


# ------------------------------------------------------------------ conversion
class Converter:
    """Appends converted samples to an open HDF5 file; the layout is fixed by the first file."""

    def __init__(self, f: h5py.File, source: str, split: str, ico_resolution: int, stats_name: str):
        if ico_resolution < 1 or ico_resolution > 9:
            raise InputError(f"--ico-resolution must lie in [1, 9], got {ico_resolution}")
        self.f, self.source, self.split, self.resolution = f, source, split, ico_resolution
        self.stats_name = stats_name
        self.means, self.stds = stats(stats_name)
        self.discovery = [VARIABLES.index(v) for v in DISCOVERY_VARIABLES]
        self.count = 0
        self.shape = None

    def _setup(self, height: int, width: int, lat: np.ndarray, lon: np.ndarray) -> None:
        self.shape = (height, width)
        self.lat, self.lon = lat, lon
        self.charts = chart_geometry(height, width)
        ico_lat, ico_lon = _ico_lat_lon(self.resolution)
        ico_lat, ico_lon = np.asarray(ico_lat), np.asarray(ico_lon)
        expected = (5, 2 ** self.resolution, 2 ** (self.resolution + 1))
        if ico_lat.shape != expected or ico_lon.shape != expected:
            raise InputError(f"icosahedral coordinates of shape {ico_lat.shape}, expected {expected}")
        self.ico_index = nearest_indices(ico_lat, ico_lon, height, width, lat, lon)
        hc, wc = self.charts.shape
        f, gz = self.f, {"compression": "gzip", "compression_opts": 1}
        n16 = len(VARIABLES)
        self.d_fields = f.create_dataset("discovery/fields", (0, len(self.discovery), hc, wc), np.float16,
                                         maxshape=(None, len(self.discovery), hc, wc),
                                         chunks=(1, len(self.discovery), hc, wc), **gz)
        self.d_labels = f.create_dataset("discovery/labels", (0, hc, wc), np.uint8, maxshape=(None, hc, wc),
                                         chunks=(1, hc, wc), **gz)
        self.i_fields = f.create_dataset("ico/fields", (0, n16, *expected), np.float16, maxshape=(None, n16, *expected),
                                         chunks=(1, n16, *expected), **gz)
        self.i_labels = f.create_dataset("ico/labels", (0, *expected), np.uint8, maxshape=(None, *expected),
                                         chunks=(1, *expected), **gz)
        f.create_dataset("ico/source_index", data=self.ico_index)
        self.times = f.create_dataset("time", (0,), "S13", maxshape=(None,), chunks=(1024,))
        self.annotators = f.create_dataset("annotator", (0,), np.int16, maxshape=(None,), chunks=(1024,))
        self.files = f.create_dataset("file", (0,), "S64", maxshape=(None,), chunks=(1024,))
        c = self.charts
        f.attrs.update({
            "format": FORMAT, "source": self.source, "split": self.split, "height": height, "width": width,
            "crop_row0": c.row0, "crop_col0": c.col0, "chart_rows": np.asarray(c.rows), "chart_col": c.col,
            "chart_radius": c.radius, "ico_resolution": self.resolution,
            "discovery_variables": list(DISCOVERY_VARIABLES), "ico_variables": list(VARIABLES),
            "means": self.means, "stds": self.stds, "stats": self.stats_name, "classes": list(CLASSES),
        })

    def append(self, path: str | os.PathLike, expected_shape: tuple[int, int] | None = None) -> None:
        path = Path(path)
        time, annotator = parse_name(path.name)
        fields, labels, lat, lon = read_netcdf(path, expected_shape)
        if self.shape is None:
            self._setup(*labels.shape, lat, lon)
        elif labels.shape != self.shape or not (np.allclose(lat, self.lat) and np.allclose(lon, self.lon)):
            raise InputError(f"{path.name}: grid {labels.shape} differs from the first file's {self.shape}")
        z = (fields - self.means[:, None, None].astype(np.float32)) / self.stds[:, None, None].astype(np.float32)
        del fields
        c, n = self.charts, self.count
        for ds in (self.d_fields, self.d_labels, self.i_fields, self.i_labels, self.times, self.annotators,
                   self.files):
            ds.resize(n + 1, axis=0)
        self.d_fields[n] = z[self.discovery, c.row0:c.row1 + 1, c.col0:c.col1 + 1].astype(np.float16)
        self.d_labels[n] = labels[c.row0:c.row1 + 1, c.col0:c.col1 + 1]
        self.i_fields[n] = z.reshape(len(VARIABLES), -1)[:, self.ico_index].astype(np.float16)
        self.i_labels[n] = labels.reshape(-1)[self.ico_index]
        self.times[n] = time.encode()
        self.annotators[n] = annotator
        self.files[n] = path.name.encode()
        self.count = n + 1


def convert(raw_files, out: str | os.PathLike, *, source: str, split: str, ico_resolution: int = 6,
            stats_name: str = "atlas", expected_shape: tuple[int, int] | None = None, keep_raw: bool = True) -> int:
    """Convert the netCDF files yielded by `raw_files` (an iterable, consumed one file at a
    time) into one HDF5 file at `out`, written atomically; returns the sample count.
    Without `keep_raw` every raw file is deleted once converted."""
    if split not in SPLITS:
        raise InputError(f"--split must be one of {SPLITS}, got {split!r}")
    with atomic_path(out) as tmp, h5py.File(tmp, "w") as f:
        converter = Converter(f, source, split, ico_resolution, stats_name)
        for path in raw_files:
            converter.append(path, expected_shape)
            if not keep_raw:
                Path(path).unlink()
            log.info("%s: %d converted (%s)", split, converter.count, Path(path).name)
        if converter.count == 0:
            raise InputError(f"no {split} files to convert")
        f.attrs["samples"] = converter.count
    return converter.count


# ------------------------------------------------------------------ manifest + download
def sha256(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(path: str | os.PathLike) -> dict:
    payload = read_json_object(path, MANIFEST_FORMAT, "manifest")
    files = payload.get("files")
    if not isinstance(files, dict) or not all(
            isinstance(v, dict) and isinstance(v.get("sha256"), str) and isinstance(v.get("size"), int)
            for v in files.values()):
        raise InputError(f"manifest {path}: 'files' must map file names to {{'sha256': str, 'size': int}}")
    return files


def _record(manifest_path: Path, name: str, entry: dict) -> None:
    files = read_manifest(manifest_path) if manifest_path.exists() else {}
    if name in files and files[name] != entry:
        raise InputError(f"{name}: downloaded {entry}, but the manifest {manifest_path} being written already "
                         f"records {files[name]} (did the upstream file change?)")
    files[name] = entry
    write_json(manifest_path, {"format": MANIFEST_FORMAT, "algorithm": "sha256",
                               "files": dict(sorted(files.items()))})


def list_remote(base_url: str, split: str, retries: int = 3, timeout: float = 60.0, backoff: float = 1.0) -> list[str]:
    """The file names of the split's directory index at `base_url`/`split`/."""
    from .download import fetch_bytes

    url = urllib.parse.urljoin(base_url.rstrip("/") + "/", f"{split}/")
    try:
        text = fetch_bytes([url], retries=retries, timeout=timeout, backoff=backoff).decode("utf-8", "replace")
    except InputError as err:
        raise InputError(f"the directory index {url} could not be read: {err}") from err
    names = parse_index(text)
    if not names:
        raise InputError(f"the directory index {url} lists no data-YYYY-MM-DD-HH-1_K.nc files")
    return names


def download(base_url: str, split: str, raw_dir: str | os.PathLike, *, manifest: str | os.PathLike | None = None,
             write_manifest: str | os.PathLike | None = None, max_files: int | None = None, retries: int = 3,
             timeout: float = 120.0, progress: bool = True) -> Iterator[Path]:
    """Yield the split's files one at a time, each downloaded into `raw_dir` when not
    already there (with a pinned manifest: only when matching it), verified against the
    pinned manifest and/or recorded in the manifest being written."""
    import pooch
    import requests

    if manifest is None and write_manifest is None:
        raise InputError("--source official needs --manifest (pinned SHA-256s) or --write-manifest "
                         "(record them on this first download)")
    if max_files is not None and max_files < 1:
        raise InputError(f"--max-files must be >= 1, got {max_files}")
    if retries < 1:
        raise InputError(f"--retries must be >= 1, got {retries}")
    pinned = read_manifest(manifest) if manifest is not None else None
    names = list_remote(base_url, split, retries, min(timeout, 60.0))
    if max_files is not None:
        names = names[:max_files]
    if pinned is not None:
        unpinned = [n for n in names if n not in pinned]
        if unpinned:
            raise InputError(f"the manifest {manifest} does not pin {len(unpinned)} of the {split} files "
                             f"listed upstream, e.g. {unpinned[:3]}")
    raw_dir = Path(raw_dir)
    raw_dir.mkdir(parents=True, exist_ok=True)
    split_url = urllib.parse.urljoin(base_url.rstrip("/") + "/", f"{split}/")
    registry = {n: (f"sha256:{pinned[n]['sha256']}" if pinned else None) for n in names}
    store = pooch.create(path=raw_dir, base_url=split_url, registry=registry, retry_if_failed=retries - 1)
    downloader = pooch.HTTPDownloader(progressbar=progress, timeout=timeout)
    for name in names:
        dest = raw_dir / name
        try:
            path = Path(store.fetch(name, downloader=downloader))
        except (ValueError, OSError, requests.exceptions.RequestException) as err:
            if pinned is not None:
                dest.unlink(missing_ok=True)  # a stale or corrupt copy must not be used again
            raise InputError(f"{name}: download from {split_url}{name} failed or does not match the manifest "
                             f"(removed): {err}") from err
        size = path.stat().st_size
        if pinned is not None and size != pinned[name]["size"]:
            path.unlink()
            raise InputError(f"{name}: {size} bytes, the manifest {manifest} pins {pinned[name]['size']} (removed)")
        if write_manifest is not None:
            _record(Path(write_manifest), name, {"sha256": sha256(path), "size": size})
        yield path


# ------------------------------------------------------------------ the stand-in
THRESHOLD_Z = 2.0  # TMQ > mean + 2 std (TC and AR), PSL < mean − 2 std (TC)
BACKGROUND_Z = (-1.15, 1.5)  # the background's z range (TMQ stays > 0)
# degrees from east–west within which a control band is labelled AR. 15° rather than 30°:
# a shear E12 turns a band at angle θ by −sin²θ per unit t against the rotation's 0.71, so
# at the cone's edge, where labels flip, E12 breaks the control by sin²θ/0.71 of what the
# rotation does (0.35 at 30°, 0.09 at 15°). Measured with the quick probe, the control's
# rotation excess stayed 2.8x its E12 excess with either cone: the E12 excess is mostly
# the control predictor's own (1.7x the stand-in predictor's), not flipped labels.
CONTROL_MAX_ANGLE = 15.0
EAST_WEST_SPREAD = 12.0  # the bands placed inside the charts' region: within ±12° of east–west
PSL_WIDTH = 1.6  # pressure low / TMQ bump width ratio: no AR ring around a TC
PROFILES = {"TMQ": 0.8, "QREFHT": 0.8, "TS": 0.8, "TREFHT": 0.8, "T500": 0.6, "T200": -0.4, "Z200": 0.6}


@dataclass(frozen=True)
class Vortex:
    """A cyclone-like vortex centred at pixel (row, col); lengths in pixels, angle in degrees."""

    row: float
    col: float
    sigma: float  # TMQ bump width
    aspect: float = 1.0  # ellipticity (axis ratio) of the bump and the low
    angle: float = 0.0  # orientation of the long axis, from east towards north
    tmq: float = 4.0  # TMQ anomaly, z
    psl: float = 5.0  # depth of the pressure low, z of PSL
    wind: float = 30.0  # maximum wind, m/s
    wind_angle: float = -90.0  # direction of the wind from the gradient of the low's bump, degrees (−90: anticlockwise)


@dataclass(frozen=True)
class Band:
    """A river-like filament: centreline (u, κu²/2) in a frame rotated by `angle` (degrees
    from east towards north) about (row, col), u ∈ [−length/2, length/2]."""

    row: float
    col: float
    length: float
    width: float
    angle: float = 0.0
    curvature: float = 0.0  # 1/pixels
    tmq: float = 3.5  # z
    wind: float = 25.0  # m/s along the band (sign = direction)
    wind_angle: float | None = None  # a fixed wind direction (degrees); None: along the band


def _smooth_noise(height: int, width: int, rng: np.random.Generator, cells: int = 24) -> np.ndarray:
    """Smooth unit-variance noise: coarse white noise upsampled (periodic in longitude)."""
    from scipy import ndimage

    h0 = max(4, min(height, cells))
    w0 = max(4, min(width, _round(cells * width / height)))
    coarse = ndimage.gaussian_filter(rng.standard_normal((h0, w0)), 0.7, mode=("nearest", "wrap"))
    coarse /= coarse.std() + 1e-12
    fine = ndimage.zoom(coarse, (height / h0, width / w0), order=3, mode="grid-wrap", grid_mode=True)
    return fine[:height, :width].astype(np.float32)


def _squash(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    centre, half = (lo + hi) / 2, (hi - lo) / 2
    return (centre + half * np.tanh((x - centre) / half)).astype(np.float32)


def _box(height, width, row, col, radius):
    r0, r1 = max(0, int(row - radius)), min(height, int(row + radius) + 2)
    c0, c1 = int(col - radius), int(col + radius) + 2  # columns wrap around
    rows = np.arange(r0, r1)
    cols = np.arange(c0, c1)
    return rows, cols % width, rows[:, None] - row, cols[None, :] - col


def _add(target: np.ndarray, rows: np.ndarray, cols: np.ndarray, value: np.ndarray) -> None:
    """target[rows, cols] += value, columns wrapping around in longitude."""
    if len(np.unique(cols)) < len(cols):  # a box wider than the globe
        np.add.at(target, (rows[:, None], cols[None, :]), value)
    else:
        target[np.ix_(rows, cols)] += value.astype(target.dtype)


def _add_vortex(anom: dict, v: Vortex, height: int, width: int, std: dict) -> None:
    a = math.sqrt(max(v.aspect, 1e-3))
    rows, cols, dy, dx = _box(height, width, v.row, v.col, 5 * PSL_WIDTH * v.sigma * a)
    t = math.radians(v.angle)
    u = dx * math.cos(t) + dy * math.sin(t)
    w = -dx * math.sin(t) + dy * math.cos(t)
    r2 = ((u / a) ** 2 + (w * a) ** 2) / v.sigma ** 2
    bump = np.exp(-r2 / 2)
    low = np.exp(-r2 / (2 * PSL_WIDTH ** 2))
    gy, gx = np.gradient(low)  # the wind: the gradient of the low turned by wind_angle
    speed = np.hypot(gx, gy)
    scale = v.wind / max(float(speed.max()), 1e-12)
    turn = math.radians(v.wind_angle)
    gx, gy = math.cos(turn) * gx - math.sin(turn) * gy, math.sin(turn) * gx + math.cos(turn) * gy
    _add(anom["TMQ"], rows, cols, v.tmq * std["TMQ"] * bump)
    _add(anom["PSL"], rows, cols, -v.psl * std["PSL"] * low)
    _add(anom["PS"], rows, cols, -v.psl * std["PSL"] * low)
    _add(anom["Z1000"], rows, cols, -v.psl * std["PSL"] * low / 12.0)
    _add(anom["U850"], rows, cols, scale * gx)
    _add(anom["V850"], rows, cols, scale * gy)
    _add(anom["UBOT"], rows, cols, 0.8 * scale * gx)
    _add(anom["VBOT"], rows, cols, 0.8 * scale * gy)
    _add(anom["QREFHT"], rows, cols, 1.0 * std["QREFHT"] * bump)
    _add(anom["PRECT"], rows, cols, 3.0 * std["PRECT"] * bump)
    _add(anom["T500"], rows, cols, 1.0 * std["T500"] * low)
    _add(anom["Z200"], rows, cols, 0.5 * std["Z200"] * low)


def band_angles(b: Band, dy: np.ndarray, dx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(distance to the centreline, along-band coordinate u, local tangent angle in
    degrees from east towards north) at pixel offsets (dy, dx) from the band's centre."""
    t = math.radians(b.angle)
    u = dx * math.cos(t) + dy * math.sin(t)
    w = -dx * math.sin(t) + dy * math.cos(t)
    slope = b.curvature * u
    dist = (w - 0.5 * b.curvature * u ** 2) / np.sqrt(1 + slope ** 2)
    return dist, u, b.angle + np.degrees(np.arctan(slope))


def _add_band(anom: dict, b: Band, height: int, width: int, std: dict, footprint: np.ndarray | None) -> None:
    sag = abs(b.curvature) * (b.length / 2) ** 2 / 2
    rows, cols, dy, dx = _box(height, width, b.row, b.col, b.length / 2 + sag + 4 * b.width)
    dist, u, tangent = band_angles(b, dy, dx)
    profile = np.exp(-dist ** 2 / (2 * b.width ** 2)) * 0.5 * (1 - np.tanh((np.abs(u) - b.length / 2) / b.width))
    direction = np.radians(tangent if b.wind_angle is None else np.full_like(tangent, b.wind_angle))
    _add(anom["TMQ"], rows, cols, b.tmq * std["TMQ"] * profile)
    _add(anom["U850"], rows, cols, b.wind * profile * np.cos(direction))
    _add(anom["V850"], rows, cols, b.wind * profile * np.sin(direction))
    _add(anom["UBOT"], rows, cols, 0.8 * b.wind * profile * np.cos(direction))
    _add(anom["VBOT"], rows, cols, 0.8 * b.wind * profile * np.sin(direction))
    _add(anom["QREFHT"], rows, cols, 0.8 * std["QREFHT"] * profile)
    _add(anom["PRECT"], rows, cols, 1.5 * std["PRECT"] * profile)
    if footprint is not None:  # the control: where this band runs within ±CONTROL_MAX_ANGLE of east–west
        off = np.abs((tangent + 90.0) % 180.0 - 90.0)
        mark = (profile > 0.05) & (off <= CONTROL_MAX_ANGLE)
        sub = footprint[np.ix_(rows, cols)]
        footprint[np.ix_(rows, cols)] = sub | mark


def draw_features(height: int, width: int, rng: np.random.Generator, feature_scale: float = 1.0,
                  size_spread: float = 1.0) -> list:
    """Random vortices and bands (the same for the synthetic and the control source):
    at least two of each inside the discovery crop. `feature_scale` multiplies the
    widths across the features (vortex sizes, band widths; the band lengths stay)
    relative to the grid; `size_spread` S ≥ 1 multiplies each feature's width by a
    log-uniform factor in [1/S, S] and lets vortex axis ratios reach 1.5·S. Every wind
    direction is random relative to its feature."""
    c = chart_geometry(height, width)
    s = height / OFFICIAL_SHAPE[0]
    across = s * feature_scale
    spread = math.log(size_spread)
    features = []

    def place(inside: bool):
        if inside:
            return rng.uniform(c.row0 + 0.1 * (c.row1 - c.row0), c.row1 - 0.1 * (c.row1 - c.row0)), \
                rng.uniform(c.col0 + 0.15 * (c.col1 - c.col0), c.col1 - 0.15 * (c.col1 - c.col0))
        return rng.uniform(0.15 * height, 0.85 * height), rng.uniform(0, width)

    for k in range(int(rng.integers(4, 7))):
        row, col = place(k < 2 or k == 2 and rng.random() < 0.5)
        size = math.exp(rng.uniform(-spread, spread))
        features.append(Vortex(row, col, sigma=10 * across * size * rng.uniform(0.8, 1.3),
                               aspect=rng.uniform(1.0, 1.5 * size_spread),
                               angle=rng.uniform(0, 180), tmq=rng.uniform(3.5, 4.5), psl=rng.uniform(4.5, 5.5),
                               wind=rng.uniform(25, 40), wind_angle=rng.uniform(0, 360)))
    for k in range(int(rng.integers(3, 6))):
        row, col = place(k < 2)
        wind_angle = rng.uniform(0, 360)
        length = 260 * s * rng.uniform(0.8, 1.2)
        # the two bands placed inside the crop run roughly east–west, so that the control keeps
        # AR pixels in every chart region (README, climate: with one, the control's rotation
        # signal was too weak against the predictor's own non-equivariance)
        angle = rng.uniform(-EAST_WEST_SPREAD, EAST_WEST_SPREAD) if k < 2 else rng.uniform(0, 180)
        size = math.exp(rng.uniform(-spread, spread))
        features.append(Band(row, col, length=length, width=7 * across * size * rng.uniform(0.8, 1.2), angle=angle,
                             curvature=rng.uniform(-1, 1) * 1.0 / length, tmq=rng.uniform(3.0, 4.0),
                             wind=float(rng.choice([-1.0, 1.0])) * rng.uniform(20, 30),
                             wind_angle=wind_angle))
    return features


def render(height: int, width: int, features: list, rng: np.random.Generator | None, *, control: bool = False,
           stats_name: str = "atlas", latitude_profile: bool = True) -> tuple[dict, np.ndarray]:
    """Fields (physical units, float32) and labels (uint8) of a stand-in state with the
    given features; `rng` None gives a noise-free background (the means, plus the
    latitude profiles unless `latitude_profile` is False)."""
    means, stds = stats(stats_name)
    mean, std = dict(zip(VARIABLES, means)), dict(zip(VARIABLES, stds))
    lat = np.radians(regular_grid(height, width)[0]).astype(np.float32)
    profile = (2 * np.cos(lat) ** 2 - 1)[:, None] * float(latitude_profile)
    anom = {v: np.zeros((height, width), np.float32) for v in VARIABLES}
    footprint = np.zeros((height, width), bool) if control else None
    for feature in features:
        if isinstance(feature, Vortex):
            _add_vortex(anom, feature, height, width, std)
        else:
            _add_band(anom, feature, height, width, std, footprint)
    fields = {}
    for v in VARIABLES:
        if v == "PRECT":  # log-normal, positive
            noise = _smooth_noise(height, width, rng) if rng is not None else 0.0
            fields[v] = (mean[v] * np.exp(0.8 * noise - 0.32) + anom[v]).astype(np.float32)
            continue
        z = PROFILES.get(v, 0.0) * profile + (0.5 * _smooth_noise(height, width, rng) if rng is not None else 0.0)
        z = _squash(np.broadcast_to(z, (height, width)), *BACKGROUND_Z)
        fields[v] = (mean[v] + std[v] * z + anom[v]).astype(np.float32)
    return fields, label_rule(fields, stats_name, footprint)


def label_rule(fields: dict, stats_name: str = "atlas", control_footprint: np.ndarray | None = None) -> np.ndarray:
    """The stand-in's labels: TC (1) where TMQ and PSL pass their thresholds, AR (2)
    where TMQ does and the point is not TC (in the control, only inside east–west bands)."""
    means, stds = stats(stats_name)
    mean, std = dict(zip(VARIABLES, means)), dict(zip(VARIABLES, stds))
    moist = fields["TMQ"] > mean["TMQ"] + THRESHOLD_Z * std["TMQ"]
    tc = moist & (fields["PSL"] < mean["PSL"] - THRESHOLD_Z * std["PSL"])
    ar = moist & ~tc
    if control_footprint is not None:
        ar &= control_footprint
    return np.where(tc, 1, np.where(ar, 2, 0)).astype(np.uint8)


def synthetic_name(split: str, index: int) -> str:
    """A distinct timestamp per file: every 3 h from 2000-01-01 (train) or 2010-01-01 (test)."""
    import datetime

    start = datetime.datetime(2000 if split == "train" else 2010, 1, 1)
    stamp = start + datetime.timedelta(hours=3 * index)
    return f"data-{stamp:%Y-%m-%d-%H}-1_1.nc"


def synthetic_files(source: str, split: str, raw_dir: str | os.PathLike, n_files: int, shape: tuple[int, int],
                    seed: int, stats_name: str = "atlas", compression: str | None = None,
                    feature_scale: float = 1.0, size_spread: float = 1.0) -> Iterator[Path]:
    """Write the stand-in's files one at a time (each yielded before the next is made)."""
    height, width = (int(s) for s in shape)
    if n_files < 1:
        raise InputError(f"--n-files must be >= 1, got {n_files}")
    if not 0 < feature_scale <= 8:
        raise InputError(f"--feature-scale must be in (0, 8], got {feature_scale}")
    if not 1 <= size_spread <= 8:
        raise InputError(f"--size-spread must be in [1, 8], got {size_spread}")
    if height < 8 or width < 8:
        raise InputError(f"--shape must be at least 8 × 8, got {height} × {width}")
    chart_geometry(height, width)
    control = source == "control"
    for i in range(n_files):
        rng = np.random.default_rng([seed, SPLITS.index(split), i])
        features = draw_features(height, width, rng, feature_scale, size_spread)
        fields, labels = render(height, width, features, rng, control=control, stats_name=stats_name)
        path = Path(raw_dir) / synthetic_name(split, i)
        write_netcdf(path, fields, labels, parse_name(path.name)[0], compression=compression)
        yield path


# ------------------------------------------------------------------ command line
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", choices=SOURCES, required=True,
                        help="official: download from the NERSC portal; synthetic: offline stand-in; "
                             "control: the stand-in with east–west-only rivers (negative control)")
    parser.add_argument("--split", choices=SPLITS, required=True)
    parser.add_argument("--raw-dir", required=True, help="directory of the raw netCDF files (one at a time)")
    parser.add_argument("--out", required=True, help="converted HDF5 file (conventionally climate_<split>.h5)")
    parser.add_argument("--ico-resolution", type=int, default=6, help="icosahedral grid resolution r")
    parser.add_argument("--stats", default="atlas", help=f"normalisation means/stds: one of {sorted(STATS)}")
    parser.add_argument("--n-files", type=int, default=None, help="stand-in files per split (synthetic/control; "
                                                                 "default 8)")
    parser.add_argument("--shape", type=int, nargs=2, default=None, metavar=("H", "W"),
                        help="stand-in grid (synthetic/control; default 768 1152)")
    parser.add_argument("--seed", type=int, default=None, help="seed of the stand-in (synthetic/control; default 0)")
    parser.add_argument("--feature-scale", type=float, default=None,
                        help="widths of the stand-in's vortices and bands relative to the grid (synthetic/control; "
                             "default 1: as wide in degrees at every --shape)")
    parser.add_argument("--size-spread", type=float, default=None,
                        help="S >= 1: feature widths vary by a further log-uniform factor in [1/S, S] and vortex axis "
                             "ratios up to 1.5 S (synthetic/control; default 1)")
    parser.add_argument("--manifest", default=None, help="pinned SHA-256 manifest (JSON) every file must match")
    parser.add_argument("--write-manifest", default=None, help="record SHA-256 and size of the downloads here")
    parser.add_argument("--keep-raw", action="store_true", help="keep the raw files after conversion")
    parser.add_argument("--base-url", default=PORTAL, help="directory holding train/ and test/ (official)")
    parser.add_argument("--max-files", type=int, default=None, help="only the first N files of the index (official)")
    parser.add_argument("--retries", type=int, default=3, help="download attempts per file (official)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per request (official)")
    parser.add_argument("--no-progress", action="store_true", help="no download progress bar")


def run(args: argparse.Namespace) -> None:
    if args.stats not in STATS:
        raise InputError(f"--stats must be one of {sorted(STATS)}, got {args.stats!r}")
    if args.source == "official":
        for option in ("n_files", "shape", "seed", "feature_scale", "size_spread"):
            if getattr(args, option) is not None:
                raise InputError(f"--{option.replace('_', '-')} applies to the stand-in (synthetic/control) only")
        if args.manifest is not None and not Path(args.manifest).is_file():
            raise InputError(f"--manifest {args.manifest} does not exist")
        files = download(args.base_url, args.split, args.raw_dir, manifest=args.manifest,
                         write_manifest=args.write_manifest, max_files=args.max_files, retries=args.retries,
                         timeout=args.timeout, progress=not args.no_progress)
        expected = OFFICIAL_SHAPE
    else:
        for option in ("manifest", "write_manifest", "max_files"):
            if getattr(args, option) is not None:
                raise InputError(f"--{option.replace('_', '-')} applies to --source official only")
        files = synthetic_files(args.source, args.split, args.raw_dir, 8 if args.n_files is None else args.n_files,
                                tuple(args.shape or OFFICIAL_SHAPE), args.seed or 0, args.stats,
                                feature_scale=1.0 if args.feature_scale is None else args.feature_scale,
                                size_spread=1.0 if args.size_spread is None else args.size_spread)
        expected = None
    count = convert(files, args.out, source=args.source, split=args.split, ico_resolution=args.ico_resolution,
                    stats_name=args.stats, expected_shape=expected, keep_raw=args.keep_raw)
    log.info("%d %s samples (%s) converted to %s", count, args.split, args.source, args.out)
