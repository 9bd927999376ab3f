"""Shared test fixtures."""

from __future__ import annotations

import os
import pathlib
import tempfile

import pytest
from hypothesis import settings

# No per-example deadline: speed is measured by the benchmarks, never by timed tests, and a
# deadline only makes property tests flaky on a busy machine.
settings.register_profile("cbc_teach", deadline=None)
settings.load_profile("cbc_teach")

ROOT = pathlib.Path(__file__).resolve().parent.parent

# Grading signs its result records with a key kept outside the output folder (by default in the
# user's config folder). Tests never touch the real one: every test run has its own key, in a
# temporary folder, inherited by the grading workers (a test may still set its own).
os.environ.setdefault("CBC_TEACH_KEY_FILE",
                      str(pathlib.Path(tempfile.mkdtemp(prefix="cbc-teach-test-key-")) / "grading.key"))


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium under Playwright (never a downloaded browser), one per test module (a
    live Playwright must not outlast the module: other tests run event loops of their own).
    Skipped where Chromium is missing, except under CI=true, where that is a failure."""
    from browser_support import CHROMIUM_ARGS, chromium_executable, no_chromium_reason

    reason = no_chromium_reason()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; under CI=true a missing browser is a failure.")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_executable(), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, request):
    """A fresh browser page (the test module's ``VIEWPORT``, else 1400 x 1000); a screenshot is
    kept in browser-screenshots/ when the test fails."""
    from browser_support import SHOTS, TIMEOUT

    viewport = getattr(request.module, "VIEWPORT", {"width": 1400, "height": 1000})
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        SHOTS.mkdir(exist_ok=True)
        path = SHOTS / f"{request.node.name}.png"
        page.screenshot(path=str(path), full_page=True)
        print(f"screenshot saved: {path}")
    context.close()


@pytest.fixture(scope="module")
def pool():
    """Two grading worker processes (the grader's own default executor: spawned, warmed up),
    shared by every grade() call of a test module."""
    from cbc_teach.grading.api import _default_executor

    with _default_executor(2) as executor:
        yield executor


@pytest.fixture
def repo_root() -> pathlib.Path:
    """The repository's top folder."""
    return ROOT


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item (the browser tests screenshot on failure)."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
