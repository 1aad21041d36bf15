"""Narration: the one place where results become numbers and words, for every surface.

The command line, the notebooks, the dashboard and the report all call this package; nothing else
words a result. Six modules, one job each, each importing only those above it:

* :mod:`~sim.narrate.formats`: number formats (``money``, ``times``, ...), display names, :class:`Card`;
* :mod:`~sim.narrate.comparison`: two strategies compared over runs (:func:`compare`): the pair by
  name (relationship over numbers game), intervals, the verdict, and its short words. The rules
  are :mod:`sim.model.comparison`'s, so the summary's leaders say the same;
* :mod:`~sim.narrate.verdict`: the headline cards (one function for notebooks, dashboard and
  report), the report's table and the story over one run or many;
* :mod:`~sim.narrate.summary`: the headline numbers, the crossover caption and the command line's
  summary (:func:`format_summary`);
* :mod:`~sim.narrate.client`: a client market's calibration table and its current-versus-proposed
  comparison;
* :mod:`~sim.narrate.evidence`: the headline over the calibrated ensemble and the "why" from the
  mechanism attribution (the numbers :mod:`sim.calibration` measures), or why they are not shown.

Must not: draw, build HTML, import matplotlib or ipywidgets, or run the model.
"""

from __future__ import annotations

from .summary import *  # noqa: F403 - the package's public names are summary's
from .summary import __all__ as _summary_all

__all__ = list(_summary_all)
