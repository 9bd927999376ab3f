"""The virtual blood film: drawn cells, slides, findings and the precision of a manual count."""

from __future__ import annotations

import numpy as np
import pytest

import cbc_teach
from cbc_teach import CBC, differential_ci, make_slide, render_cell
from cbc_teach.errors import InvalidParameterError, UnknownNameError
from cbc_teach.film import (
    compare_differential,
    features,
    finding_info,
    findings,
    key_map,
    kinds,
    source_text,
    to_png,
)

KINDS = ["neutrophil", "band", "lymphocyte", "monocyte", "eosinophil", "basophil", "blast"]
FEATURES = {
    "hypersegmented": "neutrophil", "toxic_granulation": "neutrophil",
    "dohle_bodies": "band", "vacuolation": "monocyte", "auer_rod": "blast",
    "large_granular": "lymphocyte", "reactive": "lymphocyte", "pseudo_pelger": "neutrophil",
    "hypogranular": "neutrophil", "clump": "neutrophil",
}
FINDINGS = ["hypersegmented_neutrophils", "toxic_granulation", "dohle_bodies", "blasts",
            "auer_rods", "large_granular_lymphocytes", "reactive_lymphocytes", "pseudo_pelger",
            "neutrophil_clumps"]


# --- drawing ------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_is_drawn_as_an_rgb_image_the_same_for_a_seed(kind):
    """render_cell gives uint8 H x W x 3, identical for one seed and different for another."""
    a = render_cell(kind, seed=5)
    assert a.dtype == np.uint8 and a.ndim == 3 and a.shape[2] == 3
    assert np.array_equal(a, render_cell(kind, seed=5))
    b = render_cell(kind, seed=6)
    assert a.shape != b.shape or not np.array_equal(a, b)


@pytest.mark.parametrize(("feature", "kind"), sorted(FEATURES.items()))
def test_every_feature_changes_the_picture(feature, kind):
    """Each feature draws something: the image differs from the same cell without it."""
    plain = render_cell(kind, seed=3)
    changed = render_cell(kind, features=[feature], seed=3)
    assert plain.shape != changed.shape or not np.array_equal(plain, changed)


def _cell_diameter_um(image: np.ndarray) -> float:
    """Width of the drawn cell (pixels that differ from the plain background), in um."""
    background = image[0, 0].astype(int)
    inked = (np.abs(image.astype(int) - background).sum(axis=2) > 30)
    rows = np.flatnonzero(inked.any(axis=1))
    cols = np.flatnonzero(inked.any(axis=0))
    return ((rows[-1] - rows[0] + 1) + (cols[-1] - cols[0] + 1)) / 2 / 5.0  # 5 px per um


@pytest.mark.parametrize(("kind", "low", "high"), [
    # Bain, Blood Cells (ch. 3): small lymphocyte 7-10 um, neutrophil 10-12 um, monocyte
    # 12-20 um, blast 10-20 um. Tolerance 1 um for the soft, wobbly edge.
    ("lymphocyte", 7.0, 10.0), ("neutrophil", 10.0, 12.0), ("monocyte", 12.0, 20.0),
    ("blast", 10.0, 20.0),
])
def test_sizes_are_in_proportion(kind, low, high):
    """Drawn diameters fall in the textbook range of each kind."""
    sizes = [_cell_diameter_um(render_cell(kind, seed=s)) for s in range(12)]
    assert low - 1.0 <= min(sizes) and max(sizes) <= high + 1.0


def test_a_lymphocyte_is_smaller_than_a_monocyte_on_average():
    """The ordering students rely on: lymphocyte < neutrophil < monocyte."""
    mean = {k: np.mean([_cell_diameter_um(render_cell(k, seed=s)) for s in range(10)])
            for k in ("lymphocyte", "neutrophil", "monocyte")}
    assert mean["lymphocyte"] < mean["neutrophil"] < mean["monocyte"]


def test_colours_tell_eosinophils_basophils_and_lymphocytes_apart():
    """Eosinophils are orange-red, basophils dark purple, lymphocyte cytoplasm blue."""
    def mean_rgb(kind):
        im = render_cell(kind, seed=2).astype(float)
        inked = np.abs(im - im[0, 0]).sum(axis=2) > 30
        return im[inked].mean(axis=0)
    r, g, b = mean_rgb("eosinophil")
    assert r > g + 40 and r > b + 40
    assert sum(mean_rgb("basophil")) < sum(mean_rgb("neutrophil"))
    lr, lg, lb = mean_rgb("lymphocyte")
    assert lb > lr


def test_unknown_kind_and_feature_are_named_with_suggestions():
    """A typo in a kind or feature is an error naming it and the close matches."""
    with pytest.raises(UnknownNameError, match="neutrofil.*neutrophil"):
        render_cell("neutrofil")
    with pytest.raises(UnknownNameError, match="auer_rods.*auer_rod"):
        render_cell("blast", features=["auer_rods"])
    with pytest.raises(UnknownNameError, match="not drawn on a lymphocyte"):
        render_cell("lymphocyte", features=["auer_rod"])


def test_png_bytes_are_a_valid_png():
    """to_png writes the PNG signature and an IHDR with the image's size."""
    data = to_png(render_cell("monocyte", seed=1))
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    with pytest.raises(InvalidParameterError, match="uint8"):
        to_png(np.zeros((3, 3, 3)))


# --- slides -------------------------------------------------------------------------------

def test_a_given_composition_is_kept_exactly():
    """With composition, the slide holds exactly those cells, whatever the seed."""
    comp = {"neutrophil": 40, "band": 5, "lymphocyte": 30, "monocyte": 10, "eosinophil": 8,
            "basophil": 2, "blast": 5}
    for seed in (0, 1, 2):
        slide = make_slide(composition=comp, seed=seed)
        assert dict(slide.composition) == comp
        counted = {k: sum(c.kind == k for c in slide.cells) for k in KINDS}
        assert counted == comp


def test_a_cbc_differential_is_sampled():
    """Without composition, 400 cells drawn from a 60 % neutrophil CBC give about 60 %."""
    cbc = CBC.from_percentages(5.0, neutrophils=60, lymphocytes=30, monocytes=6,
                               eosinophils=3, basophils=1)
    slide = make_slide(cbc, n_cells=400, seed=11)
    assert sum(slide.composition.values()) == 400 == len(slide.cells)
    share = slide.composition["neutrophil"] / 400
    low, high = differential_ci(slide.composition["neutrophil"], 400, level=0.999)
    assert low <= 60 <= high and 0.5 < share < 0.7
    assert slide.automated["neutrophils"] == pytest.approx(60.0)
    assert slide.wbc == 5.0


def test_slides_are_deterministic_for_a_seed():
    """The same seed gives the same cells and the same pictures; another seed does not."""
    a = make_slide(findings=["toxic_granulation"], seed=9)
    b = make_slide(findings=["toxic_granulation"], seed=9)
    assert a.cells == b.cells and np.array_equal(a.render_field(0), b.render_field(0))
    c = make_slide(findings=["toxic_granulation"], seed=10)
    assert a.cells != c.cells


def test_leukocytes_do_not_overlap_and_lie_inside_their_field():
    """Cells of one field are farther apart than their radii; each lies inside the field."""
    slide = make_slide(findings=["neutrophil_clumps"], n_cells=150, seed=4)
    w, h = slide.field_size
    for f in range(slide.n_fields):
        cells = slide.field_cells(f)
        assert 1 <= len(cells) <= 3
        for i, a in enumerate(cells):
            assert a.radius <= a.x <= w - a.radius and a.radius <= a.y <= h - a.radius
            for b in cells[i + 1:]:
                assert np.hypot(a.x - b.x, a.y - b.y) > a.radius + b.radius
    assert [c.field for c in slide.cells] == sorted(c.field for c in slide.cells)


def test_a_field_shows_red_cells_and_its_leukocytes():
    """A rendered field is mostly pink red cells, with the leukocyte drawn at its position."""
    slide = make_slide(composition={"lymphocyte": 1}, seed=2)
    image = slide.render_field(0).astype(int)
    assert image.shape == (360, 480, 3)
    pink = (image[..., 0] > image[..., 2] + 40)
    assert pink.mean() > 0.3
    cell = slide.cells[0]
    centre = image[int(cell.y), int(cell.x)]
    assert centre.sum() < 400  # the dark lymphocyte nucleus, not a pink red cell


def test_fewer_platelets_are_drawn_when_the_count_is_low():
    """The platelets in a field follow the CBC's platelet count."""
    def purple_specks(platelets):
        cbc = CBC.from_percentages(5.0, neutrophils=60, lymphocytes=30, monocytes=6,
                                   eosinophils=3, basophils=1, platelets=platelets)
        slide = make_slide(cbc, n_cells=20, seed=1)
        total = 0
        for f in range(slide.n_fields):
            im = slide.render_field(f).astype(int)
            total += int(((im[..., 2] > im[..., 1] + 30) & (im.sum(axis=2) < 500)).sum())
        return total
    assert purple_specks(20) < purple_specks(400)


@pytest.mark.parametrize("finding", FINDINGS)
def test_each_finding_puts_its_feature_on_the_slide(finding):
    """Every finding is defined with sources and shows on some cells of the slide."""
    info = finding_info(finding)
    assert info["definition"] and info["sources"]
    for s in info["sources"]:
        assert source_text(s)
    slide = make_slide(findings=[finding], seed=3)
    assert finding in slide.findings
    if finding == "blasts":
        assert slide.composition["blast"] > 0
    else:
        assert any(info["feature"] in c.features for c in slide.cells)
        assert all(c.kind in info["kinds"] for c in slide.cells if info["feature"] in c.features)


def test_auer_rods_bring_blasts_with_them():
    """Asking for Auer rods gives blasts, some carrying the rods."""
    slide = make_slide(findings=["auer_rods"], seed=1)
    assert "blasts" in slide.findings and slide.composition["blast"] > 0


def test_bad_slide_arguments_are_explained():
    """Unknown finding, bad composition and impossible findings raise clear errors."""
    with pytest.raises(UnknownNameError, match="toxic_granulation"):
        make_slide(findings=["toxic_granulations"])
    with pytest.raises(InvalidParameterError, match="'neutrophil' must be a whole number"):
        make_slide(composition={"neutrophil": -1})
    with pytest.raises(InvalidParameterError, match="cell kind"):
        make_slide(composition={"neutrophills": 5})
    with pytest.raises(InvalidParameterError, match="blast"):
        make_slide(composition={"neutrophil": 5}, findings=["blasts"])
    with pytest.raises(InvalidParameterError, match="lymphocyte"):
        make_slide(composition={"neutrophil": 5}, findings=["reactive_lymphocytes"])
    with pytest.raises(InvalidParameterError, match="n_cells"):
        make_slide(n_cells=0)
    with pytest.raises(InvalidParameterError, match="field"):
        make_slide(composition={"neutrophil": 1}, seed=0).render_field(5)


def test_catalogue_lists_kinds_features_findings_and_keys():
    """The names the issue asks for are all known, and each kind has its own key."""
    assert list(kinds()) == KINDS
    assert set(FEATURES) <= set(features())
    assert set(FINDINGS) <= set(findings())
    keys = key_map()
    assert keys == {"N": "neutrophil", "B": "band", "L": "lymphocyte", "M": "monocyte",
                    "E": "eosinophil", "S": "basophil", "X": "blast"}


# --- the interval -------------------------------------------------------------------------

# Ruemke CL (1979), 95 % limits of a percentage counted in 100 cells, whole percent.
RUEMKE_100 = [(0, 0, 4), (1, 0, 5), (2, 0, 7), (5, 2, 11), (10, 5, 18), (20, 13, 29),
              (30, 21, 40), (50, 40, 60)]


@pytest.mark.parametrize(("count", "low", "high"), RUEMKE_100)
def test_interval_agrees_with_ruemke_100_cells(count, low, high):
    """Rounded to whole percent, the exact interval gives Ruemke's 100-cell limits."""
    lo, hi = differential_ci(count, 100)
    assert round(lo) == low and round(hi) == high
    # both sides of the table value: the interval is narrower at 200 and wider at 50 cells
    lo2, hi2 = differential_ci(2 * count, 200)
    assert lo2 >= lo - 1e-9 and hi2 <= hi + 1e-9


@pytest.mark.parametrize(("count", "n", "low", "high"), [
    (100, 200, 43, 57),  # Ruemke 200 cells, 50 %
    (500, 1000, 47, 53),  # Ruemke 1000 cells, 50 %
])
def test_interval_agrees_with_ruemke_more_cells(count, n, low, high):
    """Counting more cells narrows the interval as Ruemke's tables show."""
    lo, hi = differential_ci(count, n)
    assert round(lo) == low and round(hi) == high


def test_interval_matches_the_beta_quantiles():
    """Clopper-Pearson limits are beta quantiles (checked against scipy, 1e-9)."""
    stats = pytest.importorskip("scipy.stats")
    for count, n in [(3, 100), (17, 200), (199, 400), (0, 50), (50, 50)]:
        lo, hi = differential_ci(count, n, level=0.9)
        want_lo = 0.0 if count == 0 else 100 * stats.beta.ppf(0.05, count, n - count + 1)
        want_hi = 100.0 if count == n else 100 * stats.beta.ppf(0.95, count + 1, n - count)
        assert lo == pytest.approx(want_lo, abs=1e-9) and hi == pytest.approx(want_hi, abs=1e-9)


def test_interval_rejects_impossible_counts():
    """count above n, a fractional count or a level of 95 (not 0.95) are explained."""
    with pytest.raises(InvalidParameterError, match="between 0 and n = 100"):
        differential_ci(101, 100)
    with pytest.raises(InvalidParameterError, match="whole number"):
        differential_ci(2.5, 100)
    with pytest.raises(InvalidParameterError, match="between 0 and 1"):
        differential_ci(5, 100, level=95)


def test_comparison_judges_each_group_against_the_interval():
    """A manual 55 % neutrophils (bands included) fits an analyser's 60 %; 45 % lymphocytes
    does not fit 30 %."""
    rows = {r.group: r for r in compare_differential(
        {"neutrophil": 50, "band": 5, "lymphocyte": 45}, {"neutrophils": 60.0,
                                                          "lymphocytes": 30.0})}
    assert rows["neutrophils"].count == 55 and rows["neutrophils"].within is True
    assert rows["lymphocytes"].within is False
    assert rows["monocytes"].within is None  # no analyser value given


def test_the_package_exports_the_film():
    """The film's main names are reachable from cbc_teach."""
    for name in ("render_cell", "make_slide", "differential_ci", "Slide", "Cell"):
        assert name in cbc_teach.__all__
