"""The package as an index and a JupyterHub administrator see it.

The sdist and the wheel are built the way an index builds them (the wheel from the sdist) from a
copy of the repository's files; the wheel is installed into a fresh environment outside the
clone, and an unprivileged user who cannot write to site-packages runs the whole instructor
workflow (list, release, grade, report) by exercise id from an unrelated folder.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import os
import pathlib
import pwd
import shutil
import stat
import subprocess
import sys
import tarfile
import tempfile
import zipfile

import pytest

from cbc_teach.cli import main
from cbc_teach.exercises.registry import BUILTIN
from cbc_teach.grading.exercise import exercise_folder, load_exercise

ROOT = pathlib.Path(__file__).resolve().parent.parent
SUBMISSIONS = ROOT / "tests" / "data" / "submissions"
BIN = pathlib.Path(sys.executable).parent
STEP_TIMEOUT = 600  # seconds for one build, install or command (a busy 2-core machine)


def _uv() -> str:
    found = shutil.which("uv", path=str(BIN)) or shutil.which("uv")
    if found is None:
        pytest.fail("uv is not installed: it is in the 'test' extra (make test installs it)")
    return found


def repository_files() -> list[str]:
    """The files a fresh clone has (tracked, plus new files not ignored by .gitignore)."""
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                         cwd=ROOT, capture_output=True, check=True)
    return [n for n in out.stdout.decode().split("\0") if n and (ROOT / n).is_file()]


def copy_repository(target: pathlib.Path) -> pathlib.Path:
    """Copy the repository's files into ``target`` (like a fresh clone, without .git)."""
    for name in repository_files():
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target / name)
    return target


@pytest.fixture(scope="module")
def dists(tmp_path_factory):
    """The sdist, and the wheel built from that sdist (as an index or `pip install` builds it)."""
    clone = copy_repository(tmp_path_factory.mktemp("clone"))
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([_uv(), "build", "--quiet", "--out-dir", str(out), str(clone)], check=True,
                   timeout=STEP_TIMEOUT)
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")
    return sdist, wheel


# --- finding exercises -------------------------------------------------------------------------

def test_list_works_from_any_folder(tmp_path, monkeypatch, capsys):
    """`cbc-teach list` in a folder that is not the clone lists every built-in exercise (it used to
    print nothing and exit 0)."""
    monkeypatch.chdir(tmp_path)
    assert main(["list"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert listed == list(BUILTIN)


def test_an_exercise_loads_by_id_from_any_folder(tmp_path, monkeypatch):
    """An id resolves to the built-in instructor's notebook wherever the command runs."""
    monkeypatch.chdir(tmp_path)
    loaded = load_exercise("ex02_anc")
    assert loaded.source.path == exercise_folder() / "ex02_anc.ipynb"


def _own_copy(folder: pathlib.Path, marker: str) -> pathlib.Path:
    """A copy of ex02_anc's notebook whose instructions carry ``marker``."""
    folder.mkdir(parents=True, exist_ok=True)
    text = (exercise_folder() / "ex02_anc.ipynb").read_text(encoding="utf-8")
    assert text.count("# Exercise") >= 1
    copy = folder / "ex02_anc.ipynb"
    copy.write_text(text.replace("# Exercise", f"# {marker} Exercise", 1), encoding="utf-8")
    return copy


def test_an_instructors_folder_from_the_flag_comes_first(tmp_path, monkeypatch):
    """`--exercises DIR` makes DIR's notebook the one released (before the built-in one)."""
    monkeypatch.chdir(tmp_path)
    _own_copy(tmp_path / "mine", "FROM-FLAG")
    assert main(["release", "ex02_anc", "--exercises", str(tmp_path / "mine"), "--student", "s1",
                 "--out", str(tmp_path / "out")]) == 0
    assert "FROM-FLAG" in (tmp_path / "out" / "s1" / "ex02_anc.ipynb").read_text(encoding="utf-8")
    assert "CBC_TEACH_EXERCISE_PATH" not in os.environ  # the flag does not leak out of main()


def test_an_instructors_folder_from_the_environment_and_the_current_folder(tmp_path, monkeypatch):
    """CBC_TEACH_EXERCISE_PATH names an instructor's folder; exercises/ of the current folder
    still works; the environment's folder comes first."""
    monkeypatch.chdir(tmp_path)
    local = _own_copy(tmp_path / "exercises", "FROM-CWD")
    assert load_exercise("ex02_anc").source.path.resolve() == local.resolve()
    env_copy = _own_copy(tmp_path / "env", "FROM-ENV")
    monkeypatch.setenv("CBC_TEACH_EXERCISE_PATH", str(tmp_path / "env"))
    assert load_exercise("ex02_anc").source.path.resolve() == env_copy.resolve()


def test_a_missing_exercises_folder_is_a_clear_error(tmp_path, capsys):
    """A flag naming no folder stops with exit status 2 and names the value."""
    with pytest.raises(SystemExit) as exc:
        main(["list", "--exercises", str(tmp_path / "nowhere")])
    assert exc.value.code == 2
    assert "nowhere" in capsys.readouterr().err


def test_an_unknown_exercise_names_the_folders_searched(tmp_path, monkeypatch, capsys):
    """An unknown id lists the known ones and the folders searched, and says how to add one."""
    monkeypatch.chdir(tmp_path)
    assert main(["release", "ex99_nothing", "--student", "s", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "ex02_anc" in err and str(exercise_folder()) in err and "--exercises" in err


# --- the distributions ------------------------------------------------------------------------

@pytest.mark.slow
def test_the_sdist_has_the_exercise_notebooks_and_leaves_the_tests_out(dists):
    """The sdist carries exercises/*.ipynb (the wheel is built from them) and no tests: they need
    the whole repository (notebooks, app, tools, fixtures), so they are run from a clone."""
    sdist, _ = dists
    with tarfile.open(sdist) as tar:
        names = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    for ex_id in BUILTIN:
        assert f"exercises/{ex_id}.ipynb" in names
    assert {"setup.py", "pyproject.toml", "MANIFEST.in"} <= names
    assert not [n for n in names if n.startswith("tests/")]


@pytest.mark.slow
def test_the_wheel_ships_each_notebook_beside_its_definition(dists):
    """Every built-in exercise's notebook is in the wheel next to its definition, byte for byte
    the clone's exercises/<id>.ipynb."""
    _, wheel = dists
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for ex_id in BUILTIN:
            assert f"cbc_teach/exercises/{ex_id}.py" in names
            shipped = archive.read(f"cbc_teach/exercises/{ex_id}.ipynb")
            assert shipped == (ROOT / "exercises" / f"{ex_id}.ipynb").read_bytes()
    assert not [n for n in names if n.startswith(("tests/", "exercises/"))]


def _snapshot(folder: pathlib.Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _set_writable(folder: pathlib.Path, writable: bool) -> None:
    for path in [folder, *folder.rglob("*")]:
        if path.is_symlink():
            continue
        mode = path.stat().st_mode
        path.chmod(mode | stat.S_IWUSR if writable else mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def _user_prefix() -> list[str]:
    """The command prefix that runs as an unprivileged user: ``nobody`` when the tests run as root
    (CI); nothing otherwise (the tests' own user, with site-packages made read-only)."""
    if os.geteuid() != 0:
        return []
    user = pwd.getpwnam("nobody")
    return ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups"]


def _fresh_venv(venv: pathlib.Path, prefix: list[str]) -> pathlib.Path:
    """A fresh virtual environment at ``venv`` that the user of ``prefix`` can run; its python.

    A system Python comes first, as on a hub: a venv made from root's own Python (e.g. under
    /root/.pyenv) starts for another user but cannot find itself (an empty sys.executable),
    so multiprocessing cannot start its helper processes.
    """
    candidates = ["/usr/local/bin/python3.11", "/usr/bin/python3.11",
                  os.path.realpath(getattr(sys, "_base_executable", sys.executable))]
    python = venv / "bin" / "python"
    for candidate in candidates:
        if not os.access(candidate, os.X_OK):
            continue
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([_uv(), "venv", "--quiet", "--python", candidate, str(venv)], check=True,
                       timeout=STEP_TIMEOUT)
        check = subprocess.run([*prefix, str(python), "-c", "import sys; print(sys.executable)"],
                               capture_output=True, text=True, cwd="/", env={"PATH": "/usr/bin:/bin"})
        if check.returncode == 0 and check.stdout.strip() == str(python):
            return python
    pytest.fail(f"no Python among {candidates} makes a venv that an unprivileged user can run")


@contextlib.contextmanager
def unprivileged(prefix: list[str], site_packages: pathlib.Path, owned: list[pathlib.Path]):
    """Let the user of ``prefix`` write to ``owned`` and nowhere in ``site_packages``.

    As root, the user is ``nobody`` and site-packages stays root's; otherwise site-packages is
    made read-only for the duration.
    """
    if prefix:
        user = pwd.getpwnam("nobody")
        for folder in owned:
            for path in [folder, *folder.rglob("*")]:
                os.chown(path, user.pw_uid, user.pw_gid)
        yield
        return
    _set_writable(site_packages, False)
    try:
        yield
    finally:
        _set_writable(site_packages, True)


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_the_wheel_alone_runs_the_instructor_workflow_as_an_unprivileged_user(dists):
    """A fresh environment with only the wheel (and its dependencies) runs `cbc-teach list`,
    `release`, `grade` and `report` by exercise id from an unrelated folder, as a user who cannot
    write to site-packages; nothing inside the installed environment changes."""
    _, wheel = dists
    # not under /tmp: the grader's sandbox gives each kernel a private /tmp, which would hide
    # an environment installed there
    base = pathlib.Path(tempfile.mkdtemp(prefix="cbc-teach-wheel-", dir="/var/tmp"))
    try:
        base.chmod(0o755)
        as_user = _user_prefix()
        venv = base / "venv"
        python = _fresh_venv(venv, as_user)
        subprocess.run([_uv(), "pip", "install", "--quiet", "--python", str(python), str(wheel)],
                       check=True, timeout=STEP_TIMEOUT)
        site = pathlib.Path(subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True, text=True, check=True).stdout.strip())
        assert site.is_dir() and str(site).startswith(str(venv))
        work, home = base / "work", base / "home"
        (work / "submissions").mkdir(parents=True)
        home.mkdir()
        for name in ("correct", "wrong"):
            shutil.copy(SUBMISSIONS / f"{name}.ipynb", work / "submissions" / f"{name}.ipynb")
        env = {"HOME": str(home), "PATH": f"{venv / 'bin'}:/usr/bin:/bin", "LANG": "C.UTF-8",
               "PYTHONHASHSEED": "0"}
        before = _snapshot(venv)

        with unprivileged(as_user, site, [work, home]):
            def run(*args: str) -> subprocess.CompletedProcess:
                done = subprocess.run([*as_user, str(venv / "bin" / "cbc-teach"), *args], cwd=work,
                                      env=env, capture_output=True, text=True, timeout=STEP_TIMEOUT)
                assert done.returncode == 0, f"cbc-teach {args}:\n{done.stdout}\n{done.stderr[-3000:]}"
                return done

            if as_user:  # really unprivileged: it cannot write to site-packages
                probe = subprocess.run([*as_user, "touch", str(site / "probe")], capture_output=True)
                assert probe.returncode != 0
            listed = [line.split()[0] for line in run("list").stdout.splitlines()]
            run("release", "ex02_anc", "--student", "correct", "--student", "wrong",
                "--out", "released")
            run("grade", "ex02_anc", "submissions", "--out", "graded", "--jobs", "1", "--quiet")
            run("report", "graded")

        assert listed == list(BUILTIN)
        for name in ("correct", "wrong"):
            assert (work / "released" / name / "ex02_anc.ipynb").is_file()
        with open(work / "graded" / "gradebook.csv", newline="") as f:
            totals = {r["student_id"]: float(r["total"]) for r in csv.DictReader(f)}
        assert totals == {"correct": 8.0, "wrong": 0.0}
        assert (work / "graded" / "report.txt").is_file()
        assert _snapshot(venv) == before, "running cbc-teach changed files inside the environment"
    finally:
        with contextlib.suppress(OSError):
            _set_writable(base, True)
        shutil.rmtree(base, ignore_errors=True)

