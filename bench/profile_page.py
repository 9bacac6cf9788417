"""cProfile of one page's rerun under AppTest (the script thread, where the page runs).

Opens the page with its default example, then profiles ``--runs`` reruns: plain reruns
(scene cache hits, as when a value seen before comes back) or, with ``--recompute``,
reruns after clearing the cache (as after a new value). Prints the top functions.

Run:

    python bench/profile_page.py network
    python bench/profile_page.py eventprop --recompute --sort tottime --top 30
"""

from __future__ import annotations

import argparse
import cProfile
import io
import logging
import pstats
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

from fpsnn_app.registry import page  # noqa: E402
from fpsnn_app.scene_cache import SCENES  # noqa: E402


def main(argv=None) -> int:
    logging.disable(logging.WARNING)
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("page", help="page name (file stem), e.g. network")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--recompute", action="store_true", help="clear the scene cache before each")
    p.add_argument("--sort", default="cumulative")
    p.add_argument("--top", type=int, default=45)
    args = p.parse_args(argv)
    entry = page(args.page)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    if entry.url_path:
        at.switch_page(entry.path)
        at.run()
    profiles: list[cProfile.Profile] = []

    def hook(*_):  # first event of each new (script) thread
        sys.setprofile(None)
        prof = cProfile.Profile()
        profiles.append(prof)
        prof.enable()

    threading.setprofile(hook)
    t0 = time.perf_counter()
    for _ in range(args.runs):
        if args.recompute:
            SCENES.clear()
        at.run()
    elapsed = time.perf_counter() - t0
    threading.setprofile(None)
    for prof in profiles:
        prof.disable()
    print(
        f"{args.page}: {args.runs} reruns{' (cache cleared)' * args.recompute} in "
        f"{elapsed:.2f} s (AppTest, profiled)"
    )
    stats = pstats.Stats(profiles[0])
    for prof in profiles[1:]:
        stats.add(prof)
    out = io.StringIO()
    stats.stream = out
    stats.sort_stats(args.sort).print_stats(args.top)
    print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
