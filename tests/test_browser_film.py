"""Real-browser tests of the FilmExplorer: 20 cells counted with real key presses.

Playwright drives Debian's Chromium against JupyterLab, Notebook 7 and Voila serving a small
notebook that shows a FilmExplorer on a known slide. The test presses the key of each circled
cell (N, B, L, M, E, S, X), one Backspace and one more key, and reads the tally: 20 cells, the
right number of each kind. In JupyterLab it also checks that the keys did not act as notebook
shortcuts (B inserts a cell, M turns a cell into Markdown, X cuts it). Every server and kernel
started is stopped; on failure a screenshot is kept in `browser-screenshots/`.
"""

from __future__ import annotations

import json
import pathlib
import re
import statistics
import time

import pytest
from browser_support import TIMEOUT, open_and_run, served

from cbc_teach.film import key_map, make_slide

NOTEBOOK = "film_count.ipynb"
N_PRESSES = 20
SLIDE_CODE = ("from cbc_teach import CBC, make_slide\n"
              "from cbc_teach.widgets import FilmExplorer\n"
              "cbc = CBC.from_percentages(5.0, neutrophils=50, bands=6, lymphocytes=30, "
              "monocytes=8, eosinophils=4, basophils=2)\n"
              "slide = make_slide(cbc, n_cells=40, seed=16)\n"
              "explorer = FilmExplorer(slide)\n"
              "display(explorer)")

pytestmark = pytest.mark.browser


def expected_slide():
    """The slide the notebook makes (same code, same seed)."""
    from cbc_teach import CBC
    cbc = CBC.from_percentages(5.0, neutrophils=50, bands=6, lymphocytes=30, monocytes=8,
                               eosinophils=4, basophils=2)
    return make_slide(cbc, n_cells=40, seed=16)


def write_notebook(folder: pathlib.Path) -> pathlib.Path:
    """A one-cell notebook that shows the FilmExplorer (nbformat 4 JSON, unexecuted)."""
    nb = {
        "cells": [{"cell_type": "code", "execution_count": None, "id": "film", "metadata": {},
                   "outputs": [], "source": SLIDE_CODE}],
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                    "name": "python3"}},
        "nbformat": 4, "nbformat_minor": 5,
    }
    path = folder / NOTEBOOK
    path.write_text(json.dumps(nb))
    return path


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("film")
    write_notebook(root)
    return root


@pytest.fixture(scope="module")
def lab(folder, tmp_path_factory):
    """JupyterLab on a free loopback port."""
    yield from served("lab", folder, tmp_path_factory)


@pytest.fixture(scope="module")
def notebook7(folder, tmp_path_factory):
    """Jupyter Notebook 7 on a free loopback port."""
    yield from served("notebook", folder, tmp_path_factory)


@pytest.fixture(scope="module")
def voila(folder, tmp_path_factory):
    """Voila serving the one-cell notebook."""
    yield from served("voila", folder, tmp_path_factory, NOTEBOOK)


def _wait_cell(film, value: int) -> None:
    film.page.wait_for_function(
        "([el, v]) => el.dataset.cell === String(v)", arg=[film.element_handle(), value],
        timeout=TIMEOUT)


def press_and_time(film, key: str, expected_cell: int) -> float:
    """Press ``key`` on the focused film and return ms until the film shows cell ``expected``."""
    start = time.perf_counter()
    film.press(key)
    _wait_cell(film, expected_cell)
    return 1000 * (time.perf_counter() - start)


def count_with_keys(scope, n: int = N_PRESSES) -> tuple[dict[str, int], list[float]]:
    """Focus the film and press the right key for each of the first ``n`` cells.

    One wrong key is pressed and taken back with Backspace on the way. Returns the expected
    tally and the time from each key press to the next cell shown.
    """
    slide = expected_slide()
    keys = {kind: key for key, kind in key_map().items()}
    film = scope.locator(".cbct-film").first
    film.wait_for()
    _wait_cell(film, 0)
    film.click()
    times = []
    expected: dict[str, int] = {}
    for i, cell in enumerate(slide.cells[:n]):
        if i == 5:  # a slip, taken back
            wrong = "X" if cell.kind != "blast" else "N"
            film.press(wrong.lower())
            _wait_cell(film, 6)
            film.press("Backspace")
            _wait_cell(film, 5)
        times.append(press_and_time(film, keys[cell.kind], i + 1))
        expected[cell.kind] = expected.get(cell.kind, 0) + 1
    return expected, times


def _check_tally(scope, expected: dict[str, int], n: int = N_PRESSES) -> str:
    status = scope.locator(".cbct-film-status").first
    deadline = time.monotonic() + TIMEOUT / 1000
    text = status.inner_text()
    while f"Counted {n} of" not in text and time.monotonic() < deadline:
        time.sleep(0.2)
        text = status.inner_text()
    assert f"Counted {n} of 40" in text, text
    tally = scope.locator(".cbct-film-tally").first.inner_text()
    from cbc_teach.film import kind_info
    for kind, count in expected.items():
        label = kind_info(kind)["label"]
        assert re.search(rf"{re.escape(label)}\s+{count}\b", tally), (kind, tally)
    return tally


def test_jupyterlab_counts_20_cells_with_the_keyboard(page, lab):
    """In JupyterLab, 20 key presses count 20 cells; N, B, M, X do not edit the notebook."""
    scope = open_and_run(page, lab, NOTEBOOK)
    expected, _ = count_with_keys(scope)
    _check_tally(scope, expected)
    assert scope.locator(".jp-Cell").count() == 1, "a key acted as a notebook shortcut"
    assert scope.locator(".jp-MarkdownCell").count() == 0
    alt = scope.locator(".cbct-film img").first.get_attribute("alt")
    assert alt and "circled" in alt


def test_notebook7_counts_with_the_keyboard(page, notebook7):
    """The same count works in Jupyter Notebook 7."""
    scope = open_and_run(page, notebook7, NOTEBOOK)
    expected, _ = count_with_keys(scope, 8)
    _check_tally(scope, expected, 8)
    assert scope.locator(".jp-Cell").count() == 1


def test_voila_counts_20_cells_with_the_keyboard(page, voila):
    """In Voila, 20 key presses count 20 cells and the tally shows them; buttons count too."""
    page.goto(voila.url)
    scope = page.locator("body")
    expected, times = count_with_keys(scope)
    _check_tally(scope, expected)
    slide = expected_slide()
    nxt = slide.cells[N_PRESSES].kind
    from cbc_teach.film import kind_info
    scope.get_by_role("button", name=re.compile(r"^\w " + kind_info(nxt)["label"])).click()
    _wait_cell(scope.locator(".cbct-film").first, N_PRESSES + 1)
    print(f"median key-to-next-cell {statistics.median(times):.1f} ms")
