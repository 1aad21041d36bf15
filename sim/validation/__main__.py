"""``python -m sim.validation``: the same as ``python -m sim.validation.report`` (see there)."""

import sys

from .report import main

if __name__ == "__main__":
    sys.exit(main())
