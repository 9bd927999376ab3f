"""An exercise as the grader sees it: the instructor's source notebook plus its definition.

An exercise name resolves to a notebook: a path to an ``.ipynb`` file, else ``<name>.ipynb``
in the first of these folders that has it (:func:`exercise_folders`):

1. the instructor's own folders, named by ``cbc-teach --exercises DIR`` or by the environment
   variable ``CBC_TEACH_EXERCISE_PATH`` (folders separated by ``:``);
2. ``exercises/`` in the current folder;
3. the built-in exercises: in an installed package ``cbc_teach/exercises/<id>.ipynb`` (the wheel
   carries them beside their definitions, copied from the clone's ``exercises/`` when it is
   built), in a clone or an editable install the top-level ``exercises/`` folder.

The definition (questions, points, right answers) is the built-in one of that id, or ``<id>.py``
beside the notebook.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import pathlib
from dataclasses import dataclass

from .. import __version__
from ..errors import GradingError, UnknownNameError
from ..exercises.model import ExerciseDefinition
from ..exercises.registry import definition, exercise_ids
from .notebook import SourceNotebook, cell_role, cell_source, code_cells

__all__ = ["GRADER_VERSION", "LoadedExercise", "exercise_folder", "exercise_folders",
           "load_exercise"]

#: Part of every cache key: bump it when grading changes, so old results are not reused.
GRADER_VERSION = "2"


def exercise_folder() -> pathlib.Path:
    """The folder of the built-in instructor notebooks.

    In an installed package they sit beside their definitions in ``cbc_teach/exercises/``; in a
    clone (or an editable install) they are the top-level ``exercises/`` folder.

    >>> (exercise_folder() / "ex02_anc.ipynb").is_file()
    True
    """
    package = pathlib.Path(__file__).resolve().parent.parent
    if any((package / "exercises").glob("*.ipynb")):
        return package / "exercises"
    clone = package.parent
    if (clone / "pyproject.toml").is_file() and (clone / "exercises").is_dir():
        return clone / "exercises"
    return package / "exercises"


def exercise_folders() -> list[pathlib.Path]:
    """The folders searched for ``<id>.ipynb``, first match wins (see the module docstring)."""
    env = os.environ.get("CBC_TEACH_EXERCISE_PATH", "")
    folders = [pathlib.Path(p) for p in env.split(os.pathsep) if p]
    folders += [pathlib.Path.cwd() / "exercises", exercise_folder()]
    return folders


@dataclass(frozen=True)
class LoadedExercise:
    """The instructor's source, the definition, and a key that changes when either changes."""

    source: SourceNotebook
    definition: ExerciseDefinition
    key: str

    @property
    def id(self) -> str:
        """The exercise id."""
        return self.definition.id

    @property
    def questions(self) -> list[str]:
        """Question ids in notebook order."""
        return self.source.questions

    @property
    def search(self) -> list[str]:
        """Folders to look in for a definition file (the source notebook's folder)."""
        return [str(self.source.path.parent)]


def _resolve(name: str | pathlib.Path) -> pathlib.Path:
    path = pathlib.Path(name)
    if path.suffix == ".ipynb" or path.exists():
        if path.is_file():
            return path
        raise GradingError(f"The exercise notebook {str(path)!r} does not exist.")
    folders = exercise_folders()
    for folder in folders:
        candidate = folder / f"{name}.ipynb"
        if candidate.is_file():
            return candidate
    known = sorted({p.stem for f in folders if f.is_dir() for p in f.glob("*.ipynb")})
    raise GradingError(
        f"No exercise {str(name)!r}: give the path of an instructor's notebook, or one of: "
        + (", ".join(known) or "(none found)") + ". Searched: "
        + ", ".join(str(f) for f in folders) + " (add a folder with --exercises DIR or "
        "CBC_TEACH_EXERCISE_PATH)."
    )


def load_exercise(name: str | pathlib.Path) -> LoadedExercise:
    """Load an exercise by name or path, checking that notebook and definition agree.

    >>> load_exercise("ex02_anc").questions
    ['q1', 'q2', 'q3', 'q4', 'q5']
    """
    path = _resolve(name)
    source = SourceNotebook.load(path)
    try:
        found = definition(source.exercise, search=[path.parent])
    except UnknownNameError as exc:
        raise GradingError(f"{path}: {exc}") from None
    defined = {q.id: q.points for q in found.questions}
    if defined != source.points:
        raise GradingError(
            f"{path} and the definition of {found.id} disagree on the questions and points: "
            f"notebook {source.points}, definition {defined}."
        )
    for q in found.questions:
        meta = code_cells(source.nb)[source.checks[q.id]]["metadata"]["cbc_teach"]
        if bool(meta.get("hidden", False)) != q.hidden:
            raise GradingError(f"{path}: the check cell of {q.id} and the definition disagree on 'hidden'.")
    return LoadedExercise(source, found, _key(source, found))


def _key(source: SourceNotebook, found: ExerciseDefinition) -> str:
    h = hashlib.sha256()
    cells = [(cell_source(c), cell_role(c)) for c in code_cells(source.nb)]
    h.update(json.dumps(cells, sort_keys=True).encode())
    try:
        h.update(inspect.getsource(inspect.getmodule(found.build)).encode())
    except (OSError, TypeError):
        h.update(found.id.encode())
    h.update(f"{__version__}/{GRADER_VERSION}".encode())
    return h.hexdigest()[:16]


def known_exercises() -> list[str]:
    """Exercise ids that have both a definition and an instructor's notebook here."""
    names = []
    for ex_id in exercise_ids(search=exercise_folders()):
        try:
            _resolve(ex_id)
        except GradingError:
            continue
        names.append(ex_id)
    return names
