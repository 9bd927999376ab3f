"""Shared test fixtures."""

from __future__ import annotations

import pathlib

import pytest
from hypothesis import settings

# No per-example deadline: speed is measured by the benchmarks, never by timed tests, and a
# deadline only makes property tests flaky on a busy machine.
settings.register_profile("cbc_teach", deadline=None)
settings.load_profile("cbc_teach")

ROOT = pathlib.Path(__file__).resolve().parent.parent


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
