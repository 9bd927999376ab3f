"""The public surface: every exported name exists and is documented; importing is light."""

from __future__ import annotations

import subprocess
import sys

import cbc_teach


def test_all_is_sorted_and_every_name_exists_with_a_docstring():
    """Each name in __all__ exists and has a docstring; the list is sorted."""
    assert list(cbc_teach.__all__) == sorted(cbc_teach.__all__)
    for name in cbc_teach.__all__:
        obj = getattr(cbc_teach, name)
        assert (obj.__doc__ or "").strip(), f"{name} has no docstring"


def test_import_does_not_pull_in_heavy_packages():
    """`import cbc_teach` imports neither ipywidgets, matplotlib nor nbformat."""
    code = (
        "import sys, cbc_teach\n"
        "heavy = [m for m in ('ipywidgets', 'matplotlib', 'nbformat', 'scipy') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_import_changes_no_global_numpy_state():
    """Importing cbc_teach leaves numpy's print options and warning filters alone."""
    code = (
        "import warnings, numpy as np\n"
        "before = (np.get_printoptions(), list(warnings.filters))\n"
        "import cbc_teach\n"
        "assert (np.get_printoptions(), list(warnings.filters)) == before\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
