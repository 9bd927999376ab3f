"""Support for the real-browser tests: Debian's Chromium, a JupyterLab or Voila server on a free
loopback port, and clean shutdown of every server and kernel a test starts.

Never downloads a browser: Playwright drives /usr/bin/chromium (installed by `make test` through
tools/ensure_chromium.sh). The ``browser`` and ``page`` fixtures are in ``tests/conftest.py``
(one Chromium per test module); a test module serves its folder with :func:`served` and opens
a notebook with :func:`open_and_run`.
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
]
BIN = pathlib.Path(sys.executable).parent


def chromium_executable() -> str | None:
    """The path of Debian's Chromium, or None when it is not installed."""
    for candidate in CHROMIUM_CANDIDATES:
        if os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("chromium")


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _isolated_env(home: pathlib.Path) -> dict[str, str]:
    """Environment for a server that reads and writes only inside ``home``."""
    settings = home / "lab-settings"
    notif = settings / "@jupyterlab" / "apputils-extension"
    notif.mkdir(parents=True, exist_ok=True)
    (notif / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "JPY_"))}
    env.update(
        HOME=str(home),
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        JUPYTER_CONFIG_DIR=str(home / "config"),
        IPYTHONDIR=str(home / "ipython"),
        MPLCONFIGDIR=str(home / "mpl"),
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


class Server:
    """A JupyterLab or Voila server in its own process group, stopped by :meth:`stop`."""

    def __init__(self, kind: str, root: pathlib.Path, home: pathlib.Path, notebook: str | None = None):
        self.kind = kind
        self.root = root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = home / f"{kind}-server.log"
        env = _isolated_env(home)
        if kind in ("lab", "notebook"):  # JupyterLab, or Notebook 7 (the same server flags)
            cmd = [
                str(BIN / "jupyter"), kind, "--no-browser", "--allow-root",
                "--ServerApp.token=", "--ServerApp.password=", "--ip=127.0.0.1",
                f"--port={self.port}", f"--ServerApp.root_dir={root}",
                "--ServerApp.port_retries=0",
            ]
        elif kind == "voila":
            cmd = [
                str(BIN / "voila"), "--no-browser", "--Voila.ip=127.0.0.1", f"--port={self.port}",
                "--Voila.port_retries=0", str(root / notebook),
            ]
        else:
            raise ValueError(kind)
        self._log = open(self.log_path, "wb")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            cmd, cwd=root, env=env, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Wait until the server answers HTTP."""
        path = "/" if self.kind == "voila" else "/api/status"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.kind} server exited early:\n{self.log()}")
            if self.kind == "voila":
                # Voila's "/" runs the notebook in a new kernel on every request: polling it
                # on a busy machine starts kernel after kernel. A listening port is enough.
                with contextlib.suppress(OSError), socket.create_connection(
                        ("127.0.0.1", self.port), timeout=2):
                    return
                time.sleep(0.3)
                continue
            try:
                with urllib.request.urlopen(self.url + path, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.3)
        raise RuntimeError(f"{self.kind} server not ready after {timeout} s:\n{self.log()}")

    def log(self) -> str:
        """The server's output so far (for failure messages)."""
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")[-4000:]
        return ""

    def delete_sessions(self, cookies: dict[str, str]) -> None:
        """Shut down every kernel session through the REST API (with the _xsrf cookie)."""
        if self.kind == "voila":
            return
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
        if "_xsrf" in cookies:
            headers["X-XSRFToken"] = cookies["_xsrf"]
        try:
            with urllib.request.urlopen(urllib.request.Request(self.url + "/api/sessions", headers=headers), timeout=5) as r:
                sessions = json.load(r)
            for session in sessions:
                request = urllib.request.Request(
                    f"{self.url}/api/sessions/{session['id']}", method="DELETE", headers=headers
                )
                urllib.request.urlopen(request, timeout=10).close()
        except (urllib.error.URLError, OSError, ValueError):
            pass

    def stop(self) -> None:
        """Stop the server and everything it started (its whole process group)."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)  # kernels left in the group
        self._log.close()


def leftover_processes(marker: str) -> list[int]:
    """PIDs of processes whose command line mentions ``marker`` (e.g. a test's home folder)."""
    found = []
    for proc in pathlib.Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in cmdline:
            found.append(int(proc.name))
    return found


def wait_gone(marker: str, timeout: float = 15.0) -> list[int]:
    """Wait for processes mentioning ``marker`` to end; kill stragglers; return what was left."""
    deadline = time.monotonic() + timeout
    left = leftover_processes(marker)
    while left and time.monotonic() < deadline:
        time.sleep(0.3)
        left = leftover_processes(marker)
    for pid in left:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    return left


# --- what every browser test does ------------------------------------------------------------------

#: Milliseconds a browser step may take: a first kernel start and widget rendering on a busy
#: 2-core machine.
TIMEOUT = 90_000
SHOTS = pathlib.Path(__file__).resolve().parent.parent / "browser-screenshots"


def no_chromium_reason() -> str | None:
    """Why the browser tests cannot run here (None when Chromium is installed)."""
    if chromium_executable() is not None:
        return None
    return ("Chromium is not installed: `make test` installs Debian's chromium with apt when it "
            "runs as root or with sudo")


def served(kind: str, root: pathlib.Path, tmp_path_factory, notebook: str | None = None,
           timeout: float = 300.0):
    """For a fixture: start a ``kind`` server on ``root`` (``notebook`` for Voila), yield it,
    then stop it and check that nothing it started lives on."""
    home = tmp_path_factory.mktemp(f"{kind}-home")
    server = Server(kind, root, home, notebook)
    try:
        server.wait_ready(timeout=timeout)
        yield server
    finally:
        server.stop()
    assert wait_gone(str(home)) == [], "a kernel or server outlived the test"


def open_notebook(page, server: Server, notebook: str):
    """Open ``notebook`` in JupyterLab (with a fresh layout) or Notebook 7, as ``server`` is;
    wait until its kernel is ready; return the notebook's panel."""
    if server.kind == "notebook":
        page.goto(f"{server.url}/notebooks/{notebook}")
        page.wait_for_selector(".jp-NotebookPanel")
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']")
        return page.locator(".jp-NotebookPanel")
    page.goto(f"{server.url}/lab/tree/{notebook}?reset")
    page.wait_for_selector(".jp-NotebookPanel:visible")
    page.wait_for_selector(".jp-StatusBar-Widget:has-text('Idle')")  # kernel info received
    return page.locator(".jp-NotebookPanel:visible")


def run_all(page, tries: int = 3) -> None:
    """Run > Run All Cells (JupyterLab and Notebook 7), through the menu as a student would;
    wait until the cells are queued (a prompt shows ``[*]``; a stored notebook already shows
    numbers, so those prove nothing).

    A click that lands while the application is still settling (seen in Notebook 7 on a busy
    machine: the notebook stayed unrun) is made again, as a student would click again."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    started = ".jp-CodeCell .jp-InputArea-prompt:text-matches('\\[\\*\\]')"
    for attempt in range(1, tries + 1):
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").click()
        page.locator("li.lm-Menu-item[data-command='runmenu:run-all']").click()
        try:
            page.wait_for_selector(started, timeout=15_000 if attempt < tries else TIMEOUT)
            return
        except PlaywrightTimeout:
            if attempt == tries:
                raise


def open_and_run(page, server: Server, notebook: str, ready: str | None = None):
    """Open ``notebook`` (:func:`open_notebook`) and run all its cells; wait for ``ready`` (a selector) if
    given; return the notebook's panel."""
    panel = open_notebook(page, server, notebook)
    run_all(page)
    if ready:
        page.wait_for_selector(ready)
    return panel
