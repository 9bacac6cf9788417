"""``python -m fpsnn_core``: see :mod:`fpsnn_core.cli`."""

import sys

from .cli import main

sys.exit(main())
