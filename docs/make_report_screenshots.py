"""Screenshots of the HTML report at laptop width (1366 × 768) in headless Chromium.

    python docs/make_report_screenshots.py [--report DIR] [--out docs/figures/report]

Without ``--report`` the report is generated first (``dtsim report``, dated 2026-01-15) into a
temporary folder. Needs Chromium (``apt-get install chromium``) and Playwright
(``pip install playwright``); the test suite does not.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

WIDTH, HEIGHT = 1366, 768
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

#: (file name, element to scroll to the top of the window or None for the top of the page,
#: media): what each screenshot shows.
SHOTS = (
    ("01-summary.png", None, "screen"),
    ("02-assumptions.png", "#assumptions", "screen"),
    ("03-seed-vs-revised.png", "#models-nodes", "screen"),
    ("04-minimum-cost.png", "#models-minimum-cost", "screen"),
    ("05-minimum-cost-figure.png", "#figure-models_minimum_cost", "screen"),
    ("06-uncertainty.png", "#uncertainty-spread", "screen"),
    ("07-failures.png", "#failures-goodput", "screen"),
    ("08-failures-figure.png", "#figure-goodput_vs_gpus", "screen"),
    ("09-reproduction.png", "[id='gov-9.2-bandwidth-f']", "screen"),
    ("10-print.png", None, "print"),
)


def screenshots(report: Path, out: Path) -> list[Path]:
    """Take every screenshot of ``report/report.html`` into ``out``."""
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
        page.goto((report / "report.html").resolve().as_uri())
        for name, selector, media in SHOTS:
            page.emulate_media(media=media)  # type: ignore[arg-type]
            if selector is None:
                page.evaluate("window.scrollTo(0, 0)")
            else:
                page.eval_on_selector(selector, "e => e.scrollIntoView({block: 'start'})")
            path = out / name
            page.screenshot(path=str(path))
            written.append(path)
        browser.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", type=Path, help="a folder holding report.html (default: generate one)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "figures" / "report")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        report = args.report
        if report is None:
            report = Path(tmp) / "report"
            command = [sys.executable, "-m", "dtsim", "report", "--out", str(report), "--date", "2026-01-15"]
            subprocess.run(command, check=True)
        for path in screenshots(report, args.out):
            print(path)


if __name__ == "__main__":
    main()
