"""Explorer responsiveness in a real browser: from a key press on a slider to the changed page.

JupyterLab (1366x900) runs one small notebook per explorer in Debian's Chromium (Playwright).
For each explorer a slider is focused and an arrow key pressed, alternately down and up, so
the value changes every time; the time from the key event to the first change of the
explorer's result HTML in the page (a MutationObserver) is recorded. This covers the widget's
key handling, the comm message to the kernel, the explorer's update and the front end's
redraw. Target (issue #15): under 50 ms median per explorer. Reports; never fails a build.

Where the time goes, per explorer (medians): "kernel" is the explorer's own update in Python
(the controls that follow the moved one, the view model, the HTML, the messages sent), timed
inside the kernel; "first message back" is the time from the key press to the first kernel
message that reaches the page (the comm trip in and the kernel picking the message up), then
the time to the last message before the page changed, and how many messages came before it;
"draw" is from that message to the changed page (the front end's decoding and the HTML/SVG
replacement). The machine's load
average is printed beside the figures: the machine is shared, and a loaded one is slower.

Needs Chromium (/usr/bin/chromium); without it the benchmark says so and stops.
"""

from __future__ import annotations

import json
import os
import pathlib
import statistics
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

N_PRESSES = 30
EXPLORERS = {
    # explorer, label of the slider to press
    "CBCExplorer": "WBC",
    "CaseExplorer": "Neutrophils, segmented",
    "TimeCourseExplorer": "Dose",
    "PopulationExplorer": "Lower limit, the cut-off",
}
# The notebook: the explorer, its updates timed inside the kernel (written to NAME.times).
_CODE = """import json, pathlib, time
from cbc_teach.widgets import {name}
explorer = {name}()
_times, _start = [], []
_follow, _refresh = explorer._follow, explorer.refresh


def _timed_follow(change):  # a moved control: the controls that follow it, then refresh
    _start.append(1000 * time.time())
    _follow(change)


def _timed_refresh():  # wall-clock ms (the page's clock is the same machine's)
    start = _start.pop() if _start else 1000 * time.time()
    _refresh()
    _times.append([start, 1000 * time.time()])
    pathlib.Path("{name}.times").write_text(json.dumps(_times))


explorer._follow, explorer.refresh = _timed_follow, _timed_refresh
display(explorer)"""

# Before the page loads: note when each kernel message arrives (every WebSocket message).
_WATCH_SOCKETS = """(() => {
    const Original = window.WebSocket;
    window.__cbctMessages = [];
    window.WebSocket = class extends Original {
        constructor(...args) {
            super(...args);
            this.addEventListener('message', () => window.__cbctMessages.push(performance.now()));
        }
    };
})();"""

# Press a key on the range input; resolve with the ms until the result HTML changes.
_PRESS = """async ([label, key]) => {
    const explorer = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .cbct-explorer');
    const slider = [...explorer.querySelectorAll('.cbct-slider')]
        .find(s => s.querySelector('label').textContent.trim() === label);
    const range = slider.querySelector('input[type=range]');
    range.focus();
    return await new Promise((resolve) => {
        let start = 0;
        const observer = new MutationObserver((records) => {
            if (records.some(r => {
                const node = r.target.nodeType === 1 ? r.target : r.target.parentElement;
                return node && node.closest('.widget-html-content');
            })) {
                const end = performance.now();
                observer.disconnect();
                const before = window.__cbctMessages.filter(t => t >= start && t <= end);
                const reply = before.length ? before[before.length - 1] - start : -1;
                const first = before.length ? before[0] - start : -1;
                resolve([end - start, reply, first, before.length, performance.timeOrigin + start]);
            }
        });
        observer.observe(explorer, {subtree: true, childList: true, characterData: true});
        start = performance.now();
        range.dispatchEvent(new KeyboardEvent('keydown', {key, bubbles: true, cancelable: true}));
        setTimeout(() => { observer.disconnect(); resolve([-1, -1, -1, 0, 0]); }, 5000);
    });
}"""


def main() -> int:
    from browser_support import CHROMIUM_ARGS, Server, chromium_executable, open_and_run

    chromium = chromium_executable()
    if chromium is None:
        print("browser benchmark skipped: Chromium is not installed (/usr/bin/chromium)")
        return 0
    import nbformat
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="cbct-bench-") as tmp:
        root, home = pathlib.Path(tmp, "root"), pathlib.Path(tmp, "home")
        root.mkdir()
        home.mkdir()
        for name in EXPLORERS:
            nb = nbformat.v4.new_notebook()
            nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                         "language": "python"}
            nb.cells = [nbformat.v4.new_code_cell(_CODE.format(name=name))]
            nbformat.write(nb, root / f"{name}.ipynb")
        server = Server("lab", root, home)
        try:
            server.wait_ready()
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1366, "height": 900})
                page.add_init_script(_WATCH_SOCKETS)
                page.set_default_timeout(120_000)
                print(f"load average before: {_load()}", flush=True)
                for name, label in EXPLORERS.items():
                    open_and_run(page, server, f"{name}.ipynb",
                                 ready=".cbct-explorer .cbct-slider input[type=range]")
                    page.wait_for_timeout(1000)
                    times, replies, draws, firsts, counts, pressed = [], [], [], [], [], []
                    for i in range(N_PRESSES + 3):
                        ms, reply, first, count, wall = page.evaluate(
                            _PRESS, [label, "ArrowDown" if i % 2 else "ArrowUp"])
                        pressed.append((wall, ms))
                        page.wait_for_timeout(150)  # let the kernel settle between presses
                        if i >= 3 and ms >= 0:  # the first presses warm caches up
                            times.append(ms)
                            if reply >= 0:
                                replies.append(reply)
                                draws.append(ms - reply)
                                firsts.append(first)
                                counts.append(count)
                    if not times:
                        print(f"{name}: the page never changed after a key press")
                        continue
                    times.sort()
                    p95 = times[int(0.95 * (len(times) - 1))]
                    updates = json.loads((root / f"{name}.times").read_text())
                    kernel = [end - start for start, end in updates[3:]]
                    inbound = [k[0] - p[0] for p, k in zip(pressed[3:], updates[3:])]
                    outbound = [p[0] + p[1] - k[1] for p, k in zip(pressed[3:], updates[3:])]
                    print(f"{name} key press -> changed page, median of {len(times)}: "
                          f"{statistics.median(times):.1f} ms (95th percentile {p95:.1f} ms) "
                          "(target: under 50 ms median); "
                          f"key press to the kernel's update {_median(inbound)}, the update "
                          f"{_median(kernel)}, the update's end to the changed page "
                          f"{_median(outbound)}; first message back {_median(firsts)}, "
                          f"the one that changed the page {_median(replies)} "
                          f"({statistics.median(counts) if counts else 0:g} messages); "
                          f"draw {_median(draws)} (load average {_load()})", flush=True)
                browser.close()
        finally:
            server.stop()
    return 0


def _median(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} ms" if values else "not measured"


def _load() -> str:
    """The 1-, 5- and 15-minute load averages (the machine is shared)."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    raise SystemExit(main())
