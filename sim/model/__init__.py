"""The model layer: the market (a Mesa model), its customers, sellers, funnel, reviews and network.

Modules: ``market`` (the week's phases, in order), ``customers`` (arrays and the trust ledger),
``sellers`` (Mesa agents and the strategy table), ``funnel`` (stages, sources, weekly counters),
``reviews`` (the public review board), ``network`` (friendship graphs), ``metrics`` (weekly series
and summaries), ``comparison`` (the pair compared, intervals over replicates, the verdict),
``runner`` (``run``, replicates, results), ``kernels`` (the compiled phases, by phase) and
``warmup`` (compiling the kernels ahead of time).

Must not: import ``sim.experiments``, ``sim.plots``, ``sim.ui``, ``sim.validation`` or ``sim.cli``;
every layer above depends on this one, never the reverse.
"""
