"""Build step that pyproject.toml cannot declare: ship the instructors' exercise notebooks.

The notebooks live in the top-level ``exercises/`` folder, where instructors read and edit them in
a clone. A wheel carries the same files beside their definitions, as
``cbc_teach/exercises/<id>.ipynb``, copied from ``exercises/`` when the wheel is built (never a
second copy kept by hand). An editable install reads ``exercises/`` in the clone instead.
"""

import pathlib

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = pathlib.Path(__file__).resolve().parent


class BuildWithExerciseNotebooks(build_py):
    """``build_py`` plus the exercise notebooks copied into the built package."""

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return  # the clone's exercises/ folder is found directly
        target = pathlib.Path(self.build_lib) / "cbc_teach" / "exercises"
        notebooks = sorted((HERE / "exercises").glob("*.ipynb"))
        if not notebooks:
            raise SystemExit("exercises/*.ipynb not found: the wheel would ship no exercises")
        for notebook in notebooks:
            self.copy_file(str(notebook), str(target / notebook.name))


setup(cmdclass={"build_py": BuildWithExerciseNotebooks})
