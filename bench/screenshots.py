"""Presentation-mode screenshots of the main pages, as a class sees them on a projector.

Starts ``streamlit run app.py`` on a free port, opens each page with ``?present=true`` in
headless Chromium (``/usr/bin/chromium``) at each screen size and colour scheme, waits
until the page has settled (every chart drawn, no change for a moment) and saves the first
screen, without scrolling, to ``assets/screenshots/present-<page>-<theme>-<width>.png``
(reduced to a 256-colour palette, which keeps text sharp and the files small). It prints,
per shot, where the page's first chart starts (px from the top) and the file size.

Run:

    python bench/screenshots.py                          # the committed set (12 files)
    python bench/screenshots.py --pages network --sizes 1920x1080 --themes dark
    python bench/screenshots.py --out /tmp/shots --all   # every page, size and theme
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from browser import ROOT, launch, server, settle  # noqa: E402

from fpsnn_app.registry import PAGES, page as page_entry  # noqa: E402

MAIN = ("network", "jacobian", "gradient_check", "eventprop", "training")
#: The committed set: the main pages in both themes at 1280x720, and two at 1920x1080.
DEFAULT_SHOTS = ([(name, theme, (1280, 720)) for name in MAIN for theme in ("light", "dark")]
                 + [("network", "light", (1920, 1080)), ("training", "dark", (1920, 1080))])


def slug(name: str) -> str:
    return name.replace("_", "-")


def shrink(path: Path) -> None:
    """Rewrite ``path`` as a 256-colour PNG (screens are flat colours and text)."""
    with Image.open(path) as im:
        small = im.convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT, dither=0)
    small.save(path, optimize=True)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", help="comma-separated page names (default: the main pages)")
    ap.add_argument("--sizes", help="comma-separated WxH (default: 1280x720, and 1920x1080 "
                                    "for two shots)")
    ap.add_argument("--themes", help="comma-separated: light, dark")
    ap.add_argument("--all", action="store_true", help="every page x size x theme given")
    ap.add_argument("--out", type=Path, default=ROOT / "assets" / "screenshots")
    args = ap.parse_args(argv)
    if args.pages or args.sizes or args.themes or args.all:
        names = args.pages.split(",") if args.pages else (
            [p.name for p in PAGES] if args.all else list(MAIN))
        sizes = [tuple(int(v) for v in s.split("x")) for s in
                 (args.sizes or "1280x720,1920x1080").split(",")]
        themes = (args.themes or "light,dark").split(",")
        shots = [(n, t, s) for s in sizes for t in themes for n in names]
    else:
        shots = DEFAULT_SHOTS
    args.out.mkdir(parents=True, exist_ok=True)

    with server() as (url, _proc), sync_playwright() as pw:
        browser = launch(pw)
        contexts = {}
        try:
            for name, theme, (w, h) in shots:
                if (theme, w, h) not in contexts:
                    contexts[(theme, w, h)] = browser.new_context(
                        viewport={"width": w, "height": h}, color_scheme=theme)
                page = contexts[(theme, w, h)].new_page()
                entry = page_entry(name)
                t0 = time.perf_counter()
                page.goto(f"{url}/{entry.url_path}?present=true")
                page.get_by_test_id("stPlotlyChart").first.wait_for(timeout=120_000)
                settle(page, timeout=120)
                page.wait_for_timeout(300)          # Plotly's last transition
                top = page.get_by_test_id("stPlotlyChart").first.bounding_box()["y"]
                path = args.out / f"present-{slug(name)}-{theme}-{w}.png"
                page.screenshot(path=str(path))
                shrink(path)
                print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: "
                      f"first chart at {top:.0f} px of {h}, {path.stat().st_size / 1024:.0f} KiB, "
                      f"{time.perf_counter() - t0:.1f} s", flush=True)
                page.close()
        finally:
            for c in contexts.values():
                c.close()
            browser.close()


if __name__ == "__main__":
    main()
