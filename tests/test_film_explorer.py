"""FilmExplorer without a browser: key messages, buttons, tally, completion and the gallery."""

from __future__ import annotations

import pytest

from cbc_teach import CBC, make_slide
from cbc_teach.film import DifferentialCount, differential_ci
from cbc_teach.widgets import FilmExplorer


@pytest.fixture
def slide():
    cbc = CBC.from_percentages(4.0, neutrophils=50, bands=5, lymphocytes=35, monocytes=6,
                               eosinophils=3, basophils=1)
    return make_slide(cbc, n_cells=20, seed=5)


def test_a_key_message_counts_like_count(slide):
    """The message a key press sends ('N') and .count('neutrophil') do the same thing."""
    a, b = FilmExplorer(slide), FilmExplorer(slide)
    a.view._handle_custom_msg({"type": "key", "key": "N"}, [])
    b.count("neutrophil")
    assert a.state.tally == b.state.tally and a.state.total == 1
    a.view._handle_custom_msg({"type": "undo"}, [])
    assert a.state.total == 0


def test_buttons_count_and_undo(slide):
    """Every key is also a button (for mouse and screen-reader users)."""
    ex = FilmExplorer(slide)
    ex.buttons["eosinophil"].click()
    ex.buttons["blast"].click()
    assert ex.state.tally["eosinophil"] == 1 and ex.state.tally["blast"] == 1
    ex.buttons["undo"].click()
    assert ex.state.total == 1
    assert "E Eosinophil" in ex.buttons["eosinophil"].description


def test_unknown_keys_are_ignored_from_the_browser_and_explained_from_python(slide):
    """A stray key from the page changes nothing; a wrong name in Python is an error."""
    ex = FilmExplorer(slide)
    ex.view._handle_custom_msg({"type": "key", "key": "Q"}, [])
    assert ex.state.total == 0
    with pytest.raises(ValueError, match="neutrofil"):
        ex.count("neutrofil")


def test_the_marker_follows_the_current_cell_and_the_field_changes(slide):
    """After each call the circle moves to the next cell; the image changes with the field."""
    ex = FilmExplorer(slide)
    w, h = slide.field_size
    seen_images = {ex.view.image}
    for i, cell in enumerate(slide.cells[:-1]):
        nxt = slide.cells[i + 1]
        ex.count(cell.kind)
        assert ex.view.marker[0] == pytest.approx(100 * nxt.x / w)
        assert ex.view.marker[1] == pytest.approx(100 * nxt.y / h)
        assert ex.view.cell == i + 1
        assert f"field {nxt.field + 1} of" in ex.view.alt
        seen_images.add(ex.view.image)
    assert len(seen_images) == slide.n_fields


def test_alt_text_does_not_give_the_answer(slide):
    """The field's alt text says where the circled cell is, not what it is."""
    ex = FilmExplorer(slide)
    alt = ex.view.alt.lower()
    assert "circled" in alt
    for word in ("neutrophil", "lymphocyte", "monocyte", "eosinophil", "basophil", "blast"):
        assert word not in alt


def test_tally_percentages_and_absolute_counts(slide):
    """Percentages of the total and absolute counts from the WBC (4.0 x10^9/L)."""
    ex = FilmExplorer(slide)
    for kind in ["neutrophil"] * 3 + ["lymphocyte"]:
        ex.count(kind)
    assert ex.state.percentages["neutrophil"] == 75.0
    assert ex.state.absolute["neutrophil"] == pytest.approx(3.0)  # 75 % of 4.0
    text = ex.displayed_text()
    assert "Counted 4 of 20" in text and "75.0" in text and "3.00" in text


def test_completion_signals_and_compares_with_the_analyser(slide):
    """At the target the status says Done and judges each group against the interval."""
    ex = FilmExplorer(slide)
    for cell in slide.cells:
        ex.count(cell.kind)
    state = ex.state
    assert state.complete and state.total == 20 and state.current is None
    assert state.correct == 20
    rows = {r.group: r for r in state.comparison}
    neut = rows["neutrophils"]
    low, high = differential_ci(neut.count, 20)
    assert (neut.low, neut.high) == (low, high)
    assert neut.analyser_percent == pytest.approx(55.0)  # 50 % segmented + 5 % bands
    assert neut.within == (low <= 55.0 <= high)
    text = ex.displayed_text()
    assert "Done: 20 cells counted" in text and "interval" in text
    ex.count("neutrophil")  # beyond the target: ignored
    assert ex.state.total == 20
    assert ex.view.marker == []


def test_gallery_shows_labelled_pictures_with_alt_text():
    """Gallery mode: every kind and finding has four pictures with alt text and sources."""
    ex = FilmExplorer(make_slide(composition={"neutrophil": 2}, seed=1))
    ex.controls["mode"].value = "gallery"
    assert ex._count_box.layout.display == "none"
    for value in [v for _, v in ex.controls["gallery"].options]:
        ex.controls["gallery"].value = value
        markup = ex.gallery_html.value
        assert markup.count("<img ") == 4 and markup.count("alt='") == 4
        assert "Sources:" in markup
    ex.controls["gallery"].value = "finding:neutrophil_clumps"
    assert "citrate" in ex.displayed_text()


def test_default_explorer_has_a_healthy_slide_and_a_wbc():
    """With no slide, a healthy adult's 100 cells with a WBC of 7.0 are counted."""
    ex = FilmExplorer(seed=3)
    assert len(ex.slide.cells) == 100 and ex.slide.wbc == 7.0
    assert ex.state.target == 100
    assert repr(ex) == "FilmExplorer(0/100 cells counted)"


def test_counter_target_and_reset():
    """A count can stop before the end of the slide, and start again."""
    counter = DifferentialCount(make_slide(composition={"lymphocyte": 5}, seed=0), target=3)
    for _ in range(5):
        counter.count("L")
    assert counter.state().total == 3 and counter.state().complete
    assert counter.reset().total == 0
    with pytest.raises(ValueError, match="target"):
        DifferentialCount(counter.slide, target=9)


def test_controls_are_labelled_and_keyboard_operable():
    """Mode and gallery controls have a visible label and a tooltip; every key has a button."""
    import ipywidgets as widgets

    ex = FilmExplorer(make_slide(composition={"neutrophil": 2}, seed=1))
    for name, control in ex.controls.items():
        assert isinstance(control, (widgets.ToggleButtons, widgets.Dropdown)), name
        assert control.description.strip() and len(control.tooltip or "") > 15, name
    assert set(ex.buttons) == {"neutrophil", "band", "lymphocyte", "monocyte", "eosinophil",
                               "basophil", "blast", "undo"}
    assert "Backspace" in ex.keys_html.value and "<kbd" in ex.keys_html.value


def test_the_page_is_told_where_the_next_cell_is(slide):
    """next_marker points at the cell after the current one; a new field's picture is sent
    ahead (by the prefetch) so the page can move before the kernel replies."""
    ex = FilmExplorer(slide)
    w, h = slide.field_size
    for i in range(len(slide.cells) - 2):
        nxt = slide.cells[i + 1]
        assert ex.view.next_marker[:2] == pytest.approx([100 * nxt.x / w, 100 * nxt.y / h])
        assert ex.view.next_same_field == (nxt.field == slide.cells[i].field)
        if not ex.view.next_same_field:
            ex._prefetch()
            assert ex.view.next_image == ex._field_url(nxt.field)
        ex.count(slide.cells[i].kind)
    for cell in slide.cells[len(slide.cells) - 2:]:
        ex.count(cell.kind)
    assert ex.view.next_marker == []
