"""Climate (ClimateNet) discovery: four square lat-lon charts along the central
meridian, one CGNet per chart segmenting background / tropical cyclone / atmospheric
river from TMQ, U850, V850, PSL; the AtlasD paper reports gl(2) ("a 4-dimensional
algebra, no preferred direction"), so the reference is GL+(2).

Data (`climate_<split>.h5`, written by the climate dataset step):
`discovery/fields` (N, 4, Hc, Wc) float16 (normalised TMQ, U850, V850, PSL),
`discovery/labels` (N, Hc, Wc) uint8 in {0 background, 1 TC, 2 AR}; attributes
`height`, `width` (the original lat-lon grid H×W), `crop_row0`, `crop_col0`,
`chart_radius`. The crop is the union of the four charts.

Geometry (`MeridianCharts`, every length rounded with Python's `round`): chart
centres at rows round(f·H), f ∈ (0.35, 0.45, 0.55, 0.65), column round(W/2) of the
H×W grid; in radius R = round(200·H/768), out radius round(150·H/768); the crop
holds rows round(0.35H) − R … round(0.65H) + R and columns round(W/2) − R …
round(W/2) + R. Views: `meridian` (768×1152: crop 631×401, R 200, out 150) and
`meridian_quarter` (192×288: crop 159×101, R 50, out 38).

Predictor: `ChartCGNet` (experiments/cgnet.py), options m, n, channels (base width),
grouped (default: the faster layout for the patch size), stride (output stride 8 as in
the paper, or 4).
Losses: per-sample mean cross-entropy over pixels of logits against one-hot targets
(task) or against the softmax of Φ(x) transformed (equivariance); inputs resampled
bilinearly, class probabilities by nearest neighbour.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ..discovery.charts import crop
from ..discovery.equivariance_loss import soft_cross_entropy
from ..errors import InputError
from ..symmetry.lie import PLANE, J, reference_group
from .cgnet import ChartCGNet
from .spec import ExperimentSpec

CHANNELS = ("TMQ", "U850", "V850", "PSL")
CLASSES = ("background", "tropical_cyclone", "atmospheric_river")
CHART_ROWS = (0.35, 0.45, 0.55, 0.65)  # chart centres: fractions of H along the central meridian
REFERENCE_HEIGHT, REFERENCE_IN, REFERENCE_OUT = 768, 200, 150  # radii at the 768-row grid


class MeridianCharts:
    """The four charts of an H×W grid, in coordinates of its crop (Hc, Wc):
    `extract(field (B, C, Hc, Wc)) -> (B, 4, C, 2R+1, 2R+1)`."""

    local = True

    def __init__(self, height: int, width: int, name: str = ""):
        if height < 8 or width < 8:
            raise InputError(f"climate grid {height}×{width} is too small")
        self.height, self.width, self.name = height, width, name or f"{height}x{width}"
        self.in_radius = round(REFERENCE_IN * height / REFERENCE_HEIGHT)
        self.out_radius = round(REFERENCE_OUT * height / REFERENCE_HEIGHT)
        r = self.in_radius
        rows = [round(f * height) for f in CHART_ROWS]
        col = round(width / 2)
        self.crop_row0, self.crop_col0 = rows[0] - r, col - r
        self.crop_shape = (rows[-1] + r - self.crop_row0 + 1, 2 * r + 1)
        if self.crop_row0 < 0 or rows[-1] + r >= height or self.crop_col0 < 0 or col + r >= width:
            raise InputError(f"the charts of radius {r} leave the {height}×{width} grid")
        # chart centres (row, column) in crop coordinates
        self.centres = tuple((row - self.crop_row0, col - self.crop_col0) for row in rows)
        p = 2 * r + 1
        offsets = np.arange(-r, r + 1)
        flat = [((cr + offsets)[:, None] * self.crop_shape[1] + (cc + offsets)[None, :]) for cr, cc in self.centres]
        self._flat = torch.from_numpy(np.stack(flat).reshape(-1))
        self._p = p

    def __len__(self) -> int:
        return len(self.centres)

    def check(self, shape, where: str = "fields") -> None:
        if tuple(shape[-2:]) != self.crop_shape:
            raise InputError(f"climate view {self.name!r} (grid {self.height}×{self.width}) expects {where} of "
                             f"{self.crop_shape[0]}×{self.crop_shape[1]} (the chart crop), got "
                             f"{shape[-2]}×{shape[-1]}")

    def extract(self, field: torch.Tensor) -> torch.Tensor:
        b, c, h, w = field.shape
        self.check(field.shape)
        patches = field.reshape(b, c, h * w).index_select(2, self._flat.to(field.device))
        return patches.reshape(b, c, len(self), self._p, self._p).transpose(1, 2)


VIEWS = {"meridian": (768, 1152), "meridian_quarter": (192, 288)}


def view(name: str) -> MeridianCharts:
    return MeridianCharts(*VIEWS[name], name=name)


GROUPED_UP_TO = 301  # patch side up to which the chart-grouped CGNet is the faster layout (ChartCGNet)


def predictor(view: MeridianCharts, m: int = 3, n: int = 21, channels: int = 32,
              grouped: bool | None = None, stride: int = 8) -> ChartCGNet:
    """K = 4 CGNets (paper: M = 3, N = 21, base width 32, output stride 8: 494 232
    parameters each). `grouped` None: the layout measured faster on the CPU for the
    view's patch size (grouped up to `GROUPED_UP_TO`, i.e. `meridian_quarter`; a list of
    nets for `meridian`). `stride` 4: CGNet at twice the paper's resolution (`CGNet`)."""
    if grouped is None:
        grouped = 2 * view.in_radius + 1 <= GROUPED_UP_TO
    return ChartCGNet(len(view), in_channels=len(CHANNELS), classes=len(CLASSES), m=m, n=n, channels=channels,
                      grouped=bool(grouped), stride=stride)


def one_hot(labels: torch.Tensor) -> torch.Tensor:
    """Label maps (B, Hc, Wc) -> one-hot float fields (B, 3, Hc, Wc)."""
    return F.one_hot(labels.long(), len(CLASSES)).permute(0, 3, 1, 2).float()


def load(path) -> tuple[torch.Tensor, torch.Tensor]:
    """Fields float16 (N, 4, Hc, Wc) (cast per batch by the engine) and compact labels
    uint8 (N, Hc, Wc) (one-hot per batch by `target_transform`); the crop's attributes
    are checked against the geometry of the grid they name."""
    import h5py

    from ..datasets.hdf5 import read_arrays

    arrays, _ = read_arrays(path, {"discovery/fields": ((None, len(CHANNELS), None, None), ("f",)),
                                   "discovery/labels": ((None, None, None), ("u", "i"))})
    fields, labels = arrays["discovery/fields"], arrays["discovery/labels"]
    with h5py.File(path, "r") as f:
        attrs = dict(f["discovery"].attrs) | dict(f.attrs)
    missing = [k for k in ("height", "width", "crop_row0", "crop_col0", "chart_radius") if k not in attrs]
    if missing:
        raise InputError(f"data file {path}: missing attribute(s) {missing} of the chart crop")
    if fields.shape[0] < 1:
        raise InputError(f"data file {path}: no samples")
    if labels.shape[1:] != fields.shape[2:]:
        raise InputError(f"data file {path}: labels {labels.shape[1:]} and fields {fields.shape[2:]} differ in size")
    try:
        charts = MeridianCharts(int(attrs["height"]), int(attrs["width"]))
    except InputError as err:
        raise InputError(f"data file {path}: {err}") from err
    expected = {"crop_row0": charts.crop_row0, "crop_col0": charts.crop_col0, "chart_radius": charts.in_radius}
    wrong = {k: (int(attrs[k]), v) for k, v in expected.items() if int(attrs[k]) != v}
    if wrong or tuple(fields.shape[2:]) != charts.crop_shape:
        raise InputError(f"data file {path}: the crop of the {charts.height}×{charts.width} grid should be "
                         f"{charts.crop_shape} at ({charts.crop_row0}, {charts.crop_col0}) with radius "
                         f"{charts.in_radius}; the file has fields {fields.shape[2:]}, (found, expected) {wrong}")
    if labels.size and int(labels.max()) >= len(CLASSES):
        raise InputError(f"data file {path}: labels must be in 0…{len(CLASSES) - 1}, found {int(labels.max())}")
    return torch.from_numpy(fields).to(torch.float16), torch.from_numpy(labels.astype(np.uint8))


@torch.no_grad()
def evaluate(predictor, view: MeridianCharts, inputs: torch.Tensor, targets: torch.Tensor,
             batch_size: int = 4) -> dict:
    """Per-class IoU (over all out-windows of all charts and samples) and pixel accuracy
    of the chart predictors on the out-windows."""
    was_training = getattr(predictor, "training", False)
    if hasattr(predictor, "eval"):
        predictor.eval()
    params = list(predictor.parameters()) if hasattr(predictor, "parameters") else []
    device = params[0].device if params else torch.device("cpu")
    k = len(CLASSES)
    confusion = torch.zeros(k, k, dtype=torch.int64)  # [true, predicted]
    for start in range(0, len(inputs), batch_size):
        x = view.extract(inputs[start:start + batch_size].float().to(device))
        y = view.extract(targets[start:start + batch_size, None].long().to(device))[:, :, 0]
        pred = crop(predictor(x).argmax(2), view.out_radius).reshape(-1).cpu()
        true = crop(y, view.out_radius).reshape(-1).cpu()
        confusion += torch.bincount(true * k + pred, minlength=k * k).reshape(k, k)
    if hasattr(predictor, "train"):
        predictor.train(was_training)
    out = {}
    for i, name in enumerate(CLASSES):
        union = int(confusion[i].sum() + confusion[:, i].sum() - confusion[i, i])
        out[f"iou_{name}"] = float(confusion[i, i]) / union if union else float("nan")
        out[f"pixels_{name}"] = int(confusion[i].sum())
    ious = [out[f"iou_{name}"] for name in CLASSES]
    out["mean_iou"] = float(np.nanmean(ious)) if not all(np.isnan(ious)) else float("nan")
    total = int(confusion.sum())
    out["pixel_accuracy"] = float(confusion.diag().sum()) / max(total, 1)
    out["pixels"] = total
    return out


DIRECTIONS = {"J": J, "diag10": np.diag([1.0, 0.0]), "diag01": np.diag([0.0, 1.0]),
              "E12": np.array([[0.0, 1.0], [0.0, 0.0]]), "E21": np.array([[0.0, 0.0], [1.0, 0.0]])}


def summary_extras(group) -> dict:
    """Rank of the discovered algebra and the span residual of J, diag(1,0), diag(0,1),
    E12, E21 in it (all 0 when it is gl(2))."""
    out = {"algebra_rank": group.algebra_rank}
    for name, matrix in DIRECTIONS.items():
        out[f"span_residual_{name}"] = group.span_residual(matrix)
    return out


SPEC = ExperimentSpec(
    name="climate",
    description="ClimateNet: segment tropical cyclones and atmospheric rivers from TMQ, U850, V850, PSL on four "
                "lat-lon charts along the central meridian",
    dim=2,
    acts_on=PLANE + " (a lat-lon chart)",
    views={name: (lambda name=name: view(name)) for name in VIEWS},
    load=load,
    predictor=predictor,
    task_loss=soft_cross_entropy(-3),
    equivariance_loss=soft_cross_entropy(-3),
    logits=True,
    class_dim=-3,
    in_resampling="bilinear",
    out_resampling="nearest",
    reference=lambda: reference_group("GL+(2)"),
    target_transform=one_hot,
    evaluate=evaluate,
    summary_extras=summary_extras,
    extras={"channels": list(CHANNELS), "classes": list(CLASSES)},
)
