"""Screenshots of the app's pages, as a class sees them on a projector.

Starts ``streamlit run app.py`` on a free port, opens each page in headless Chromium
(``/usr/bin/chromium``) at each screen size, colour scheme and mode (normal, or
presentation mode with ``?present=true``), waits until the page has settled (every chart
drawn, no change for a moment) and saves the first screen, without scrolling, to
``docs/screenshots/<page>-<mode>-<theme>-<width>.png`` (reduced to a 256-colour palette,
which keeps text sharp and the files small). It prints, per shot, where the page's first
chart starts and ends (px from the top) and the file size.

Run:

    python bench/screenshots.py                          # the committed set (40 files)
    python bench/screenshots.py --pages network --sizes 1920x1080 --themes dark
    python bench/screenshots.py --modes present --out /tmp/shots --all

The committed set: every page at 1280x720, light and dark, normal and presentation mode.
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

from fpsnn_app.registry import PAGES  # noqa: E402
from fpsnn_app.registry import page as page_entry

MODES = ("normal", "present")
THEMES = ("light", "dark")
#: The committed set: every page at 1280x720 in both themes and both modes.
DEFAULT_SHOTS = [
    (p.name, mode, theme, (1280, 720)) for mode in MODES for theme in THEMES for p in PAGES
]


def slug(name: str) -> str:
    return name.replace("_", "-")


def shrink(path: Path) -> None:
    """Rewrite ``path`` as a 256-colour PNG (screens are flat colours and text)."""
    with Image.open(path) as im:
        small = im.convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT, dither=0)
    small.save(path, optimize=True)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", help="comma-separated page names (default: every page)")
    ap.add_argument("--sizes", help="comma-separated WxH (default: 1280x720)")
    ap.add_argument("--themes", help="comma-separated: light, dark (default: both)")
    ap.add_argument("--modes", help="comma-separated: normal, present (default: both)")
    ap.add_argument("--all", action="store_true", help="also 1920x1080 unless --sizes is given")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = ap.parse_args(argv)
    if args.pages or args.sizes or args.themes or args.modes or args.all:
        names = args.pages.split(",") if args.pages else [p.name for p in PAGES]
        sizes = [
            tuple(int(v) for v in s.split("x"))
            for s in (args.sizes or ("1280x720,1920x1080" if args.all else "1280x720")).split(",")
        ]
        themes = args.themes.split(",") if args.themes else list(THEMES)
        modes = args.modes.split(",") if args.modes else list(MODES)
        unknown = [m for m in modes if m not in MODES] + [t for t in themes if t not in THEMES]
        if unknown:
            ap.error(f"unknown mode or theme: {', '.join(unknown)}")
        shots = [(n, m, t, s) for s in sizes for m in modes for t in themes for n in names]
    else:
        shots = DEFAULT_SHOTS
    args.out.mkdir(parents=True, exist_ok=True)

    with server() as (url, _proc), sync_playwright() as pw:
        browser = launch(pw)
        contexts = {}
        try:
            for name, mode, theme, (w, h) in shots:
                if (theme, w, h) not in contexts:
                    contexts[(theme, w, h)] = browser.new_context(
                        viewport={"width": w, "height": h}, color_scheme=theme
                    )
                page = contexts[(theme, w, h)].new_page()
                entry = page_entry(name)
                t0 = time.perf_counter()
                query = "?present=true" if mode == "present" else ""
                page.goto(f"{url}/{entry.url_path}{query}")
                chart = page.get_by_test_id("stPlotlyChart").first
                chart.wait_for(timeout=120_000)
                settle(page, timeout=120)
                page.wait_for_timeout(300)  # Plotly's last transition
                box = chart.bounding_box()
                path = args.out / f"{slug(name)}-{mode}-{theme}-{w}.png"
                page.screenshot(path=str(path))
                shrink(path)
                print(
                    f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: "
                    f"first chart at {box['y']:.0f}-{box['y'] + box['height']:.0f} px of {h}, "
                    f"{path.stat().st_size / 1024:.0f} KiB, {time.perf_counter() - t0:.1f} s",
                    flush=True,
                )
                page.close()
        finally:
            for c in contexts.values():
                c.close()
            browser.close()


if __name__ == "__main__":
    main()
