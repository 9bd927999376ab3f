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
