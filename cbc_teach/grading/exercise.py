"""An exercise as the grader sees it: the instructor's source notebook plus its definition.

An exercise name resolves to a notebook: a path to an ``.ipynb`` file, else
``exercises/<name>.ipynb`` in the current folder, else the ``exercises/`` folder of the
cbc_teach source tree. The definition (questions, points, right answers) is the built-in one
of that id, or ``<id>.py`` beside the notebook.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import pathlib
from dataclasses import dataclass

from .. import __version__
from ..errors import GradingError, UnknownNameError
from ..exercises.model import ExerciseDefinition
from ..exercises.registry import definition, exercise_ids
from .notebook import SourceNotebook, cell_role, cell_source, code_cells

__all__ = ["GRADER_VERSION", "LoadedExercise", "exercise_folder", "load_exercise"]

#: Part of every cache key: bump it when grading changes, so old results are not reused.
GRADER_VERSION = "2"


def exercise_folder() -> pathlib.Path:
    """The ``exercises/`` folder of the cbc_teach source tree (the built-in instructor sources)."""
    return pathlib.Path(__file__).resolve().parent.parent.parent / "exercises"


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
    for folder in (pathlib.Path.cwd() / "exercises", exercise_folder()):
        candidate = folder / f"{name}.ipynb"
        if candidate.is_file():
            return candidate
    known = sorted({p.stem for f in (pathlib.Path.cwd() / "exercises", exercise_folder())
                    if f.is_dir() for p in f.glob("*.ipynb")})
    raise GradingError(
        f"No exercise {str(name)!r}: give the path of an instructor's notebook, or one of: "
        + (", ".join(known) or "(no exercises/ folder found)") + "."
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
    for ex_id in exercise_ids():
        try:
            _resolve(ex_id)
        except GradingError:
            continue
        names.append(ex_id)
    return names
