"""Real-browser tests: Playwright drives Debian's Chromium against JupyterLab and Voila.

They open a course notebook in JupyterLab (and in Notebook 7), run it, move the WBC slider and see the classification change,
tick a history item in the CaseExplorer and see the top cause change, and do the same in the
Voila app. Every server and kernel they start is stopped. On failure a screenshot is saved in
`browser-screenshots/` at the top of the repository.

Without Chromium the tests skip with the reason, except under CI=true, where a missing browser
fails the run (`make test` installs Chromium with apt when it can).
"""

from __future__ import annotations

import pathlib
import re
import shutil
import time

import pytest
from browser_support import TIMEOUT, open_and_run, served

ROOT = pathlib.Path(__file__).resolve().parent.parent
CBC_NOTEBOOK = "03_leukopenia_and_neutropenia.ipynb"
CASE_NOTEBOOK = "04_causes.ipynb"
APP_NOTEBOOK = "explorers.ipynb"  # app/explorers.ipynb, the Voila dashboard

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A copy of the course, so that JupyterLab's autosave can never alter the real notebooks."""
    root = tmp_path_factory.mktemp("course")
    for notebook in [*(ROOT / "notebooks").glob("*.ipynb"), ROOT / "app" / APP_NOTEBOOK]:
        shutil.copy2(notebook, root / notebook.name)
    return root


@pytest.fixture(scope="module")
def lab(course, tmp_path_factory):
    """JupyterLab on a free loopback port; stopped with its kernels at the end."""
    yield from served("lab", course, tmp_path_factory)


@pytest.fixture(scope="module")
def notebook7(course, tmp_path_factory):
    """Jupyter Notebook 7 on a free loopback port; stopped with its kernels at the end."""
    yield from served("notebook", course, tmp_path_factory)


@pytest.fixture(scope="module")
def voila(course, tmp_path_factory):
    """Voila serving the explorers' app notebook."""
    yield from served("voila", course, tmp_path_factory, APP_NOTEBOOK)


def _slider(scope, label):
    """The explorers' slider (a native range input) whose visible label starts with ``label``."""
    return scope.locator(".cbct-slider", has=scope.page.locator("label", has_text=re.compile("^" + re.escape(label))))


def _press(handle, key, times):
    handle.focus()
    for _ in range(times):
        handle.press(key)


def _wait_for_text(locator, predicate, what):
    """Poll a locator's text until ``predicate`` holds (case-sensitive, unlike has_text)."""
    deadline = time.monotonic() + TIMEOUT / 1000
    text = locator.inner_text()
    while not predicate(text) and time.monotonic() < deadline:
        time.sleep(0.2)
        text = locator.inner_text()
    assert predicate(text), f"{what}; last text: {text[:500]}"
    return text


STATUS_MARKER = "Compared with the reference intervals"  # the CBC explorer's status panel


def _move_wbc_and_check(scope):
    slider = _slider(scope, "WBC").first
    slider.wait_for()
    status = scope.locator(".widget-html-content", has_text=STATUS_MARKER).first
    status.wait_for()
    before = _wait_for_text(status, lambda t: "NORMAL" in t, "the default count is not normal")
    _press(slider.locator("input[type=range]"), "End", 1)  # WBC to its maximum: above every limit
    after = _wait_for_text(status, lambda t: "HIGH" in t, "moving the WBC slider changed nothing")
    assert after != before


def _top_cause(text):
    """The first cause line of the causes panel."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[1] if len(lines) > 1 else ""


def _tick_and_check_top_cause(scope):
    causes = scope.locator(".cbct-causes").first
    causes.wait_for()
    first = _wait_for_text(causes, lambda t: "Likely causes" in t, "no ranked causes shown")
    conditions = scope.locator("fieldset.cbct-checks", has=scope.page.locator(
        "legend", has_text="Conditions")).first
    conditions.locator("label.cbct-check", has_text="lupus").first.click()  # a plain click
    now = _wait_for_text(causes, lambda t: _top_cause(t) != _top_cause(first),
                         "ticking a history item did not change the top cause")
    return first, now


def test_jupyterlab_runs_a_course_notebook_and_the_wbc_slider_updates_the_classification(page, lab):
    """In JupyterLab, running the notebook shows the CBC explorer; moving the WBC slider with the
    keyboard changes the classification from NORMAL to HIGH."""
    scope = open_and_run(page, lab, CBC_NOTEBOOK)
    _move_wbc_and_check(scope)


def test_jupyterlab_ticking_a_history_item_changes_the_top_cause(page, lab):
    """In JupyterLab's CaseExplorer, selecting lupus in the history reorders the likely causes."""
    scope = open_and_run(page, lab, CASE_NOTEBOOK)
    first, now = _tick_and_check_top_cause(scope)
    assert "lupus" in now.lower()


def test_notebook7_runs_a_course_notebook_and_the_wbc_slider_updates_the_classification(page, notebook7):
    """The same course notebook works in Jupyter Notebook 7: run all, move the WBC slider."""
    _move_wbc_and_check(open_and_run(page, notebook7, CBC_NOTEBOOK))


def test_voila_app_renders_and_updates(page, voila):
    """The Voila dashboard renders the explorers and updates when the WBC slider moves."""
    page.goto(voila.url)
    scope = page.locator("body")
    _move_wbc_and_check(scope)
