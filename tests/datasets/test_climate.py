"""ClimateNet data: the portal served from a local HTTP server (index, manifest, checks,
nothing left behind), the streamed conversion, and the stand-in's symmetry claims."""

import json

import h5py
import numpy as np
import pytest

from symrepro.cli import main
from symrepro.datasets import climate
from symrepro.errors import InputError

ICO = 3  # small icosahedral grids keep the tests fast


def fake_ico_lat_lon(resolution):
    """Deterministic stand-in coordinates (5, 2**r, 2**(r+1)) in degrees covering the sphere."""
    h, w = 2 ** resolution, 2 ** (resolution + 1)
    rng = np.random.default_rng(resolution)
    return np.degrees(np.arcsin(rng.uniform(-1, 1, (5, h, w)))), rng.uniform(-180, 360, (5, h, w))


@pytest.fixture
def ico(monkeypatch):
    """Until the `ico` branch's grid is merged: our own coordinates."""
    monkeypatch.setattr(climate, "_ico_lat_lon", fake_ico_lat_lon)


def flat_file(path, shape=climate.OFFICIAL_SHAPE, drop=None, label_value=2, compression="gzip"):
    """A small-valued file in the real layout: every field at its mean, a TC and an AR
    patch inside the discovery crop."""
    means, _ = climate.stats("atlas")
    fields = {v: np.full(shape, m, np.float32) for v, m in zip(climate.VARIABLES, means)}
    fields["TMQ"][shape[0] // 2, : shape[1] // 3] = 50.0  # something to see after the crop
    labels = np.zeros(shape, np.int64)
    c = climate.chart_geometry(*shape)
    labels[c.rows[1], c.col - 3:c.col + 3] = 1
    labels[c.rows[2], c.col - 8:c.col + 8] = label_value
    if drop in fields:
        del fields[drop]
    climate.write_netcdf(path, fields, labels, climate.parse_name(path.name)[0], compression=compression)
    if drop == climate.LABEL_VARIABLE:
        with h5py.File(path, "a") as f:  # netCDF4 files are HDF5 files
            del f[climate.LABEL_VARIABLE]
    return path


NAMES = ["data-1996-06-09-01-1_0.nc", "data-2005-08-29-01-1_3.nc"]


@pytest.fixture
def portal(mirror):
    """good/train/ with two full-shape files (the server lists the directory as HTML)."""
    for name in NAMES:
        flat_file(mirror.root / "good" / "train" / name)
    (mirror.root / "good" / "train" / "README.txt").write_text("not a data file")
    return f"{mirror.url}/good/"


def official(tmp_path, base_url, *extra):
    return main(["data", "climate", "--source", "official", "--split", "train", "--raw-dir", str(tmp_path / "raw"),
                 "--out", str(tmp_path / "climate_train.h5"), "--base-url", base_url, "--ico-resolution", str(ICO),
                 "--retries", "1", "--timeout", "10", "--no-progress", *extra])


# ------------------------------------------------------------------ geometry, names
def test_chart_geometry_matches_the_reference_charts():
    c = climate.chart_geometry(768, 1152)
    assert c.rows == (269, 346, 422, 499) and c.col == 576 and c.radius == 200
    assert (c.row0, c.row1, c.col0, c.col1) == (69, 699, 376, 776) and c.shape == (631, 401)
    small = climate.chart_geometry(192, 288)
    assert small.radius == 50 and small.rows == (67, 86, 106, 125) and small.shape == (159, 101)
    with pytest.raises(InputError, match="no room"):
        climate.chart_geometry(192, 60)


def test_nearest_indices_on_own_coordinates():
    height, width = 7, 12
    lat, lon = climate.regular_grid(height, width)
    grid_lat, grid_lon = np.meshgrid(lat, lon, indexing="ij")
    np.testing.assert_array_equal(climate.nearest_indices(grid_lat, grid_lon, height, width),
                                  np.arange(height * width).reshape(height, width))
    rng = np.random.default_rng(0)
    qlat, qlon = rng.uniform(-90, 90, 500), rng.uniform(-400, 400, 500)
    got = climate.nearest_indices(qlat, qlon, height, width)
    rows = np.abs(qlat[:, None] - lat[None]).argmin(1)
    dlon = np.abs((qlon[:, None] - lon[None] + 180) % 360 - 180)  # periodic distance
    np.testing.assert_array_equal(got, rows * width + dlon.argmin(1))
    # wrap-around: just below 360 degrees is column 0; an irregular grid given explicitly
    assert climate.nearest_indices([0.0], [359.9], height, width)[0] == 3 * width
    custom = climate.nearest_indices([10.0, -89.0], [-170.0, 5.0], 3, 4, grid_lat=[-80, 0, 80],
                                     grid_lon=[-180, -90, 0, 90])
    np.testing.assert_array_equal(custom, [1 * 4 + 0, 0 * 4 + 2])
    with pytest.raises(InputError, match="latitudes"):
        climate.nearest_indices([95.0], [0.0], height, width)


def test_file_names_and_directory_index():
    assert climate.parse_name("data-1996-06-09-01-1_0.nc") == ("1996-06-09-01", 0)
    with pytest.raises(InputError, match="not a ClimateNet file name"):
        climate.parse_name("foo.nc")
    page = ('<a href="data-2000-01-02-01-1_1.nc">x</a> <A HREF=\'/p/train/data-1999-01-02-01-1_2.nc\'>'
            '<a href="data-2000-01-02-01-1_1.nc">dup</a><a href="../">up</a><a href="data-x.nc">no</a>')
    assert climate.parse_index(page) == ["data-1999-01-02-01-1_2.nc", "data-2000-01-02-01-1_1.nc"]


# ------------------------------------------------------------------ official, from a local server
def test_download_convert_and_write_manifest(portal, tmp_path, ico, mirror):
    assert official(tmp_path, portal, "--write-manifest", str(tmp_path / "manifest.json")) == 0
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["format"] == climate.MANIFEST_FORMAT and sorted(manifest["files"]) == NAMES
    for name in NAMES:
        served = mirror.root / "good" / "train" / name
        assert manifest["files"][name] == {"sha256": climate.sha256(served), "size": served.stat().st_size}
    assert list((tmp_path / "raw").glob("*.nc")) == []  # converted, then deleted
    with h5py.File(tmp_path / "climate_train.h5") as f:
        assert f.attrs["format"] == "symrepro.climate/1" and f.attrs["source"] == "official"
        assert (f.attrs["height"], f.attrs["width"], f.attrs["crop_row0"], f.attrs["crop_col0"]) == (768, 1152, 69, 376)
        assert f["discovery/fields"].shape == (2, 4, 631, 401) and f["discovery/fields"].dtype == np.float16
        assert f["discovery/fields"].chunks == (1, 4, 631, 401)
        assert f["ico/fields"].shape == (2, 16, 5, 8, 16) and f["ico/labels"].shape == (2, 5, 8, 16)
        assert [t.decode() for t in f["time"][()]] == ["1996-06-09-01", "2005-08-29-01"]
        assert f["annotator"][()].tolist() == [0, 3] and f["annotator"].dtype == np.int16
        labels = f["discovery/labels"][0]
        assert labels[346 - 69, 576 - 376] == 1 and labels[422 - 69, 570 - 376] == 2 and labels.sum() == 6 + 32
        assert np.abs(f["discovery/fields"][0, 1:]).max() < 1e-2  # the means normalise to ~0
    # pinned: the same files pass, --max-files takes the first of the index
    assert official(tmp_path, portal, "--manifest", str(tmp_path / "manifest.json"), "--max-files", "1") == 0
    with h5py.File(tmp_path / "climate_train.h5") as f:
        assert f["time"][()].tolist() == [b"1996-06-09-01"]


def test_corrupt_file_against_the_pinned_manifest(portal, tmp_path, ico, mirror, capsys):
    assert official(tmp_path, portal, "--write-manifest", str(tmp_path / "manifest.json")) == 0
    (tmp_path / "climate_train.h5").unlink()
    served = mirror.root / "good" / "train" / NAMES[1]
    data = bytearray(served.read_bytes())
    data[-50:] = bytes(50)
    served.write_bytes(bytes(data))
    assert official(tmp_path, portal, "--manifest", str(tmp_path / "manifest.json")) == 2
    assert NAMES[1] in capsys.readouterr().err
    assert not (tmp_path / "climate_train.h5").exists() and not list(tmp_path.glob(".climate_train*"))
    assert list((tmp_path / "raw").iterdir()) == []  # the bad file removed (the good one was converted)
    with pytest.raises(InputError, match=NAMES[1]):
        list(climate.download(portal, "train", tmp_path / "raw2", manifest=tmp_path / "manifest.json",
                              retries=1, timeout=10, progress=False))
    assert [p.name for p in (tmp_path / "raw2").glob("*.nc")] == [NAMES[0]]


def test_file_missing_labels_is_named(mirror, tmp_path, ico, capsys):
    flat_file(mirror.root / "good" / "train" / NAMES[0], drop="LABELS")
    assert official(tmp_path, f"{mirror.url}/good/", "--write-manifest", str(tmp_path / "m.json")) == 2
    err = capsys.readouterr().err
    assert "LABELS" in err and NAMES[0] in err and not (tmp_path / "climate_train.h5").exists()


def test_flaky_server_is_retried(portal, tmp_path, ico, mirror):
    """/flaky/ answers 503 once per path (the index and each file), then serves good/."""
    paths = list(climate.download(f"{mirror.url}/flaky/", "train", tmp_path / "raw",
                                  write_manifest=tmp_path / "m.json", retries=2, timeout=10, progress=False))
    assert [p.name for p in paths] == NAMES
    assert mirror.requests.count("/flaky/train/") == 2
    assert all(mirror.requests.count(f"/flaky/train/{name}") == 2 for name in NAMES)


def test_official_needs_a_manifest_option_and_a_listed_file(portal, tmp_path, ico, mirror, capsys):
    assert official(tmp_path, portal) == 2
    assert "--write-manifest" in capsys.readouterr().err
    assert official(tmp_path, portal, "--write-manifest", str(tmp_path / "m.json"), "--shape", "192", "288") == 2
    assert "--shape applies to the stand-in" in capsys.readouterr().err
    assert official(tmp_path, portal, "--manifest", str(tmp_path / "missing.json")) == 2
    assert "--manifest" in capsys.readouterr().err
    (tmp_path / "partial.json").write_text(json.dumps({"format": climate.MANIFEST_FORMAT, "files": {
        NAMES[0]: {"sha256": "0" * 64, "size": 1}}}))
    assert official(tmp_path, portal, "--manifest", str(tmp_path / "partial.json")) == 2
    assert "does not pin" in capsys.readouterr().err
    (mirror.root / "good" / "empty").mkdir()
    with pytest.raises(InputError, match="lists no"):
        climate.list_remote(f"{mirror.url}/good/", "empty", retries=1, timeout=5)


@pytest.mark.parametrize("problem, message", [("shape", "768×1152"), ("labels", r"\{0, 1, 2\}"),
                                              ("variable", "PSL"), ("junk", "not a readable")])
def test_file_checks_name_file_and_problem(tmp_path, problem, message):
    path = tmp_path / NAMES[0]
    if problem == "shape":
        flat_file(path, shape=(192, 288))
    elif problem == "labels":
        flat_file(path, shape=(192, 288), label_value=7)
    elif problem == "variable":
        flat_file(path, shape=(192, 288), drop="PSL")
    else:
        path.write_bytes(b"not netCDF" * 100)
    with pytest.raises(InputError, match=message) as info:
        climate.read_netcdf(path, expected_shape=climate.OFFICIAL_SHAPE if problem == "shape" else None)
    assert NAMES[0] in str(info.value)


# ------------------------------------------------------------------ the stand-in
def synthetic(tmp_path, source="synthetic", seed=1, out="out.h5", *extra):
    return main(["data", "climate", "--source", source, "--split", "train", "--raw-dir", str(tmp_path / f"raw-{out}"),
                 "--out", str(tmp_path / out), "--shape", "192", "288", "--n-files", "2", "--seed", str(seed),
                 "--ico-resolution", str(ICO), *extra])


def read_all(path):
    with h5py.File(path) as f:
        return {name: f[name][()] for name in ("discovery/fields", "discovery/labels", "ico/fields", "ico/labels",
                                               "time", "annotator")}, dict(f.attrs)


def test_synthetic_is_deterministic_and_cropped_as_the_charts(tmp_path, ico):
    assert synthetic(tmp_path, "synthetic", 1, "a.h5", "--keep-raw") == 0
    assert synthetic(tmp_path, "synthetic", 1, "b.h5") == 0
    assert synthetic(tmp_path, "synthetic", 2, "c.h5") == 0
    a, attrs = read_all(tmp_path / "a.h5")
    b, _ = read_all(tmp_path / "b.h5")
    for name in a:
        assert a[name].tobytes() == b[name].tobytes(), name
    assert not np.array_equal(a["discovery/fields"], read_all(tmp_path / "c.h5")[0]["discovery/fields"])
    c = climate.chart_geometry(192, 288)
    assert (attrs["crop_row0"], attrs["crop_col0"], attrs["chart_radius"]) == (c.row0, c.col0, 50)
    assert a["discovery/fields"].shape == (2, 4, 159, 101)
    raw = sorted((tmp_path / "raw-a.h5").glob("*.nc"))
    assert len(raw) == 2  # kept by --keep-raw
    fields, labels, _, _ = climate.read_netcdf(raw[0])
    means, stds = climate.stats("atlas")
    z = (fields - means[:, None, None].astype(np.float32)) / stds[:, None, None].astype(np.float32)
    keep = [climate.VARIABLES.index(v) for v in climate.DISCOVERY_VARIABLES]
    crop = np.s_[c.row0:c.row1 + 1, c.col0:c.col1 + 1]
    assert (c.row0, c.row1, c.col0, c.col1) == (17, 175, 94, 194)
    np.testing.assert_array_equal(a["discovery/fields"][0], z[keep][(slice(None), *crop)].astype(np.float16))
    np.testing.assert_array_equal(a["discovery/labels"][0], labels[crop])
    with h5py.File(tmp_path / "a.h5") as f:
        index = f["ico/source_index"][()]
    np.testing.assert_array_equal(a["ico/labels"][0], labels.ravel()[index])
    for sample in a["discovery/labels"]:  # all three classes inside the charts' crop, in every file
        counts = np.bincount(sample.ravel(), minlength=3)
        assert counts[1] >= 50 and counts[2] >= 200, counts
    assert np.abs(a["discovery/fields"]).max() < 12


def test_the_labelling_rule_is_pointwise_hence_equivariant():
    rng = np.random.default_rng([5, 0, 0])
    fields, labels = climate.render(96, 144, climate.draw_features(96, 144, rng), rng)
    np.testing.assert_array_equal(climate.label_rule(fields), labels)
    # any resampling of the chart acting on the fields as scalars moves the labels with it
    for move in (lambda a: np.rot90(a, 1), lambda a: a.T, lambda a: a[::-1]):
        moved = {k: move(v) for k, v in fields.items()}
        np.testing.assert_array_equal(climate.label_rule(moved), move(labels))


def test_rotated_features_keep_their_labels_except_in_the_control():
    """One feature regenerated in other orientations on a uniform background."""
    shape = (192, 288)
    counts = {}
    for angle in (0.0, 37.0, 90.0):
        vortex = climate.Vortex(96, 144, sigma=8.0, aspect=1.5, angle=angle)
        _, labels = climate.render(*shape, [vortex], None, latitude_profile=False)
        counts[angle] = int((labels == 1).sum())
        assert (labels == 2).sum() == 0  # no river ring around a cyclone
    assert counts[0] > 30 and max(counts.values()) <= 1.05 * min(counts.values()), counts
    ar = {}
    for source in ("synthetic", "control"):
        for angle in (0.0, 90.0):
            band = climate.Band(96, 144, length=80, width=3.0, angle=angle, curvature=0.0,
                                wind_angle=33.0 if source == "control" else None)
            _, labels = climate.render(*shape, [band], None, control=source == "control",
                                       latitude_profile=False)
            ar[source, angle] = int((labels == 2).sum())
    assert ar["synthetic", 0.0] > 150
    assert abs(ar["synthetic", 90.0] - ar["synthetic", 0.0]) <= 0.05 * ar["synthetic", 0.0], ar
    assert ar["control", 0.0] == ar["synthetic", 0.0] and ar["control", 90.0] == 0, ar


def test_control_shares_the_fields_of_the_synthetic_source_but_not_the_rivers(tmp_path, ico):
    assert synthetic(tmp_path, "synthetic", 3, "s.h5") == 0
    assert synthetic(tmp_path, "control", 3, "c.h5") == 0
    s, _ = read_all(tmp_path / "s.h5")
    c, attrs = read_all(tmp_path / "c.h5")
    assert attrs["source"] == "control"
    tmq, psl = 0, 3
    np.testing.assert_array_equal(s["discovery/fields"][:, [tmq, psl]], c["discovery/fields"][:, [tmq, psl]])
    np.testing.assert_array_equal(s["discovery/labels"] == 1, c["discovery/labels"] == 1)  # same cyclones
    assert ((c["discovery/labels"] == 2) <= (s["discovery/labels"] == 2)).all()  # a subset of the rivers
    assert 0 < (c["discovery/labels"] == 2).sum() < (s["discovery/labels"] == 2).sum()


def test_conversion_streams_one_file_at_a_time(tmp_path, ico, monkeypatch):
    events = []
    original = climate.Converter.append

    def spy(self, path, expected_shape=None):
        events.append(("convert", path.name, sorted(p.name for p in path.parent.glob("*.nc"))))
        original(self, path, expected_shape)
        events.append(("rows", self.count, self.d_fields.shape[0], self.i_fields.shape[0]))

    monkeypatch.setattr(climate.Converter, "append", spy)
    files = climate.synthetic_files("synthetic", "test", tmp_path / "raw", 3, (96, 144), seed=0)

    def written():
        for path in files:
            events.append(("written", path.name))
            yield path

    assert climate.convert(written(), tmp_path / "t.h5", source="synthetic", split="test", ico_resolution=2,
                           keep_raw=False) == 3
    names = [climate.synthetic_name("test", i) for i in range(3)]
    assert events == [event for i, name in enumerate(names) for event in (
        ("written", name), ("convert", name, [name]), ("rows", i + 1, i + 1, i + 1))]
    assert list((tmp_path / "raw").glob("*.nc")) == []


def test_bad_arguments_are_named(tmp_path, capsys):
    cases = [(["--shape", "6", "6"], "--shape"), (["--n-files", "0"], "--n-files"), (["--stats", "x"], "--stats"),
             (["--max-files", "2"], "--max-files"), (["--ico-resolution", "0"], "--ico-resolution"),
             (["--shape", "192", "60"], "no room"), (["--feature-scale", "0"], "--feature-scale"),
             (["--size-spread", "0.5"], "--size-spread")]
    for extra, message in cases:
        assert main(["data", "climate", "--source", "synthetic", "--split", "test", "--raw-dir",
                     str(tmp_path / "raw"), "--out", str(tmp_path / "x.h5"), *extra]) == 2
        assert message in capsys.readouterr().err
        assert not (tmp_path / "x.h5").exists()


def test_feature_scale_and_size_spread_and_random_winds():
    def features(seed, **options):
        return climate.draw_features(192, 288, np.random.default_rng([seed, 0, 0]), **options)

    def band_widths(seeds, **options):
        return np.array([f.width for k in seeds for f in features(k, **options) if isinstance(f, climate.Band)])

    base, wide = features(3), features(3, feature_scale=3.0)
    assert [type(f) for f in base] == [type(f) for f in wide]
    for a, b in zip(base, wide):  # the same draws, 3x as wide across, as long
        assert (b.sigma == pytest.approx(3 * a.sigma)) if isinstance(a, climate.Vortex) else \
            (b.width == pytest.approx(3 * a.width) and b.length == pytest.approx(a.length))
    assert all(f.wind_angle is not None for f in base)  # winds not tied to the features
    plain, spread = band_widths(range(30)), band_widths(range(30), size_spread=2.0)
    assert spread.max() / spread.min() > 2.5 * plain.max() / plain.min()


def test_the_bands_placed_in_the_charts_run_east_west_and_the_rest_at_random():
    """Both bands placed inside the discovery crop run within ±12° of east–west (so the
    control has rivers in the charts); the other bands have any orientation."""
    c = climate.chart_geometry(192, 288)
    forced, free = [], []
    for seed in range(40):
        bands = [f for f in climate.draw_features(192, 288, np.random.default_rng([seed, 0, 0]), feature_scale=3.0)
                 if isinstance(f, climate.Band)]
        assert len(bands) >= 3
        for band in bands[:2]:
            assert c.row0 <= band.row <= c.row1 and c.col0 <= band.col <= c.col1
        forced += [b.angle for b in bands[:2]]
        free += [b.angle for b in bands[2:]]
    assert max(abs(a) for a in forced) <= climate.EAST_WEST_SPREAD
    assert min(free) < 20 and max(free) > 160 and 60 < np.median(free) < 120  # uniform over [0, 180)


def test_end_to_end_with_the_icosahedral_grid(tmp_path):
    grid = pytest.importorskip("symrepro.icosahedral.grid")
    assert main(["data", "climate", "--source", "synthetic", "--split", "test", "--raw-dir", str(tmp_path / "raw"),
                 "--out", str(tmp_path / "climate_test.h5"), "--shape", "192", "288", "--n-files", "1",
                 "--ico-resolution", "4"]) == 0
    lat, lon = (np.asarray(a, np.float64) for a in grid.ico_lat_lon(4))
    with h5py.File(tmp_path / "climate_test.h5") as f:
        assert f["ico/fields"].shape == (1, 16, 5, 16, 32) and f["ico/labels"].shape == (1, 5, 16, 32)
        index = f["ico/source_index"][()]
    grid_lat, grid_lon = climate.regular_grid(192, 288)
    assert (np.abs(grid_lat[index // 288] - lat) <= 90 / 191 + 1e-9).all()  # within half a cell
    assert (np.abs((grid_lon[index % 288] - lon + 180) % 360 - 180) <= 180 / 288 + 1e-9).all()
