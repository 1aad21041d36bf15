"""Narration: the one place where results become numbers and words, for every surface.

The command line, the notebooks, the dashboard and the report all call this package; nothing else
words a result. Three modules, one job each:

* :mod:`~sim.narrate.summary`: number formats, the single-run headline and story, the command
  line's summary (:func:`format_summary`);
* :mod:`~sim.narrate.verdict`: what replicates add: the comparison by strategy name (relationship
  over numbers game), intervals, "ahead in 17 of 20 simulated markets", "no clear winner";
* :mod:`~sim.narrate.client`: a client market's calibration table and its current-versus-proposed
  comparison.

Must not: draw, build HTML, import matplotlib or ipywidgets, or run the model.
"""

from __future__ import annotations

from .summary import *  # noqa: F403 - the package's public names are summary's
from .summary import __all__ as _summary_all

__all__ = list(_summary_all)
