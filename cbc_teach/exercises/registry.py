"""Finding exercise definitions: the built-in ones, and an instructor's own beside a notebook.

A definition is a Python module with a module-level ``EXERCISE`` (an
:class:`~cbc_teach.exercises.model.ExerciseDefinition`). The built-in ones live in this
package (``cbc_teach/exercises/ex01_classify.py``...). An instructor adds one without touching
the package: ``<exercise id>.py`` in a folder named by ``CBC_TEACH_EXERCISE_PATH``
(folders separated by ``:``) or in the current folder.

>>> "ex02_anc" in exercise_ids()
True
>>> definition("ex02_anc").title
'Compute an ANC from percentages'
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import os
import pathlib
import re
from collections.abc import Iterable

from ..errors import UnknownNameError, unknown_name_message
from .model import ExerciseDefinition

__all__ = ["BUILTIN", "definition", "exercise_ids"]

#: The exercises that ship with cbc_teach, in course order.
BUILTIN = (
    "ex01_classify",
    "ex02_anc",
    "ex03_severity_ctcae",
    "ex04_causes",
    "ex05_time_course",
    "ex06_triage",
    "ex07_blood_film",
)

_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")


def _search_dirs(extra: Iterable[str | os.PathLike] = ()) -> list[pathlib.Path]:
    dirs = [pathlib.Path(p) for p in extra]
    env = os.environ.get("CBC_TEACH_EXERCISE_PATH", "")
    dirs += [pathlib.Path(p) for p in env.split(os.pathsep) if p]
    dirs.append(pathlib.Path.cwd())
    return dirs


def _builtin_available() -> list[str]:
    here = pathlib.Path(__file__).parent
    return [name for name in BUILTIN if (here / f"{name}.py").exists()]


def exercise_ids(search: Iterable[str | os.PathLike] = ()) -> list[str]:
    """The ids of the exercises that can be loaded (built-in first, then local files)."""
    ids = _builtin_available()
    for folder in _search_dirs(search):
        if folder.is_dir():
            for path in sorted(folder.glob("*.py")):
                if _ID.match(path.stem) and path.stem not in ids and _defines_exercise(path):
                    ids.append(path.stem)
    return ids


def _defines_exercise(path: pathlib.Path) -> bool:
    try:
        return "EXERCISE" in path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def definition(exercise_id: str, search: Iterable[str | os.PathLike] = ()) -> ExerciseDefinition:
    """The definition of an exercise, by id.

    Unknown ids raise :class:`~cbc_teach.errors.UnknownNameError` listing the known ones.
    """
    if not isinstance(exercise_id, str) or not _ID.match(exercise_id):
        raise UnknownNameError(
            f"An exercise id is a name such as 'ex02_anc' (letters, digits, '_'); got {exercise_id!r}."
        )
    return _load(exercise_id, tuple(str(p) for p in _search_dirs(search)))


@functools.cache
def _load(exercise_id: str, dirs: tuple[str, ...]) -> ExerciseDefinition:
    if exercise_id in _builtin_available():
        module = importlib.import_module(f"{__package__}.{exercise_id}")
        return _checked(module.EXERCISE, exercise_id, f"{__package__}.{exercise_id}")
    for folder in dirs:
        path = pathlib.Path(folder) / f"{exercise_id}.py"
        if path.is_file():
            spec = importlib.util.spec_from_file_location(f"cbc_teach_exercise_{exercise_id}", path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return _checked(getattr(module, "EXERCISE", None), exercise_id, str(path))
    raise UnknownNameError(unknown_name_message("exercise", exercise_id, exercise_ids(dirs)))


def _checked(found: object, exercise_id: str, where: str) -> ExerciseDefinition:
    if not isinstance(found, ExerciseDefinition):
        raise UnknownNameError(f"{where} has no EXERCISE = ExerciseDefinition(...).")
    if found.id != exercise_id:
        raise UnknownNameError(f"{where} defines exercise {found.id!r}, not {exercise_id!r}.")
    return found
