"""``python -m sim.experiments sweep FILE ...`` / ``python -m sim.experiments analyze DIR``.

An entry point, like ``python -m sim``: it sits on top of the layers and is never imported by
library code. It hands ``analyze`` the figure writer by name (``sim.plots.sweeps:write_figures``),
imported only when figures are drawn, so the package itself does not depend on the plots.
"""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main(figures="sim.plots.sweeps:write_figures"))
