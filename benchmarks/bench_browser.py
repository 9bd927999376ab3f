"""Explorer responsiveness in a real browser: from a key press on a slider to the changed page.

JupyterLab (1366x900) runs one small notebook per explorer in Debian's Chromium (Playwright).
For each explorer a slider is focused and an arrow key pressed, alternately down and up, so
the value changes every time; the time from the key event to the first change of the
explorer's result HTML in the page (a MutationObserver) is recorded. This covers the widget's
key handling, the comm message to the kernel, the explorer's update and the front end's
redraw. Target (issue #15): under 50 ms median per explorer. Reports; never fails a build.

Needs Chromium (/usr/bin/chromium); without it the benchmark says so and stops.
"""

from __future__ import annotations

import pathlib
import statistics
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

N_PRESSES = 30
EXPLORERS = {
    # notebook code, label of the slider to press
    "CBCExplorer": ("from cbc_teach.widgets import CBCExplorer\ndisplay(CBCExplorer())", "WBC"),
    "CaseExplorer": ("from cbc_teach.widgets import CaseExplorer\ndisplay(CaseExplorer())",
                     "Neutrophils, segmented"),
    "TimeCourseExplorer": ("from cbc_teach.widgets import TimeCourseExplorer\n"
                           "display(TimeCourseExplorer())", "Dose"),
    "PopulationExplorer": ("from cbc_teach.widgets import PopulationExplorer\n"
                           "display(PopulationExplorer())", "Lower limit, the cut-off"),
}

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
                observer.disconnect();
                resolve(performance.now() - start);
            }
        });
        observer.observe(explorer, {subtree: true, childList: true, characterData: true});
        start = performance.now();
        range.dispatchEvent(new KeyboardEvent('keydown', {key, bubbles: true, cancelable: true}));
        setTimeout(() => { observer.disconnect(); resolve(-1); }, 5000);
    });
}"""


def main() -> int:
    from browser_support import CHROMIUM_ARGS, Server, chromium_executable

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
        for name, (code, _label) in EXPLORERS.items():
            nb = nbformat.v4.new_notebook()
            nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                         "language": "python"}
            nb.cells = [nbformat.v4.new_code_cell(code)]
            nbformat.write(nb, root / f"{name}.ipynb")
        server = Server("lab", root, home)
        try:
            server.wait_ready()
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1366, "height": 900})
                page.set_default_timeout(120_000)
                for name, (_code, label) in EXPLORERS.items():
                    page.goto(f"{server.url}/lab/tree/{name}.ipynb?reset")
                    page.wait_for_selector(".jp-StatusBar-Widget:has-text('Idle')")
                    page.locator(".lm-MenuBar-itemLabel", has_text="Run").click()
                    page.locator("li.lm-Menu-item[data-command='runmenu:run-all']").click()
                    page.wait_for_selector(".cbct-explorer .cbct-slider input[type=range]")
                    page.wait_for_timeout(1000)
                    times = []
                    for i in range(N_PRESSES + 3):
                        ms = page.evaluate(_PRESS, [label, "ArrowDown" if i % 2 else "ArrowUp"])
                        page.wait_for_timeout(150)  # let the kernel settle between presses
                        if i >= 3 and ms >= 0:  # the first presses warm caches up
                            times.append(ms)
                    if not times:
                        print(f"{name}: the page never changed after a key press")
                        continue
                    times.sort()
                    p95 = times[int(0.95 * (len(times) - 1))]
                    print(f"{name} key press -> changed page, median of {len(times)}: "
                          f"{statistics.median(times):.1f} ms (95th percentile {p95:.1f} ms) "
                          "(target: under 50 ms median)", flush=True)
                browser.close()
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
