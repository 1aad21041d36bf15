"""Measure the 'credible default market' table (docs/ODD.md) for a scenario: 10 replicates."""
import sys
import numpy as np
from sim.model.runner import run, replicate_seed
from sim.config import load_scenario
name = sys.argv[1]; R = int(sys.argv[2]) if len(sys.argv) > 2 else 10
cfg = load_scenario(name)
n = cfg.market.customers; W = cfg.weeks; Y = W / 52
rows = {}
def add(k, v): rows.setdefault(k, []).append(v)
for i in range(R):
    r = run(cfg, seed=replicate_seed(42, i)); ts = r.timeseries
    wk = ts.groupby("week").first()
    outside = wk.market_needs_outside.sum()
    sales_all = ts.sales.sum()
    add("needs/hh/yr", (outside + sales_all) / n / Y)
    add("outside share", outside / (outside + sales_all))
    y1 = ts[ts.week < 52]; wk1 = y1.groupby("week").first()
    add("outside share y1", wk1.market_needs_outside.sum() / (wk1.market_needs_outside.sum() + y1.sales.sum()))
    allc = 0
    for st in ("numbers_game", "relationship"):
        g = ts[ts.strategy == st]; k = g.seller.nunique()
        c = g.cold_calls.sum() + g.keep_in_touch.sum() + g.follow_ups.sum(); allc += c
        add(f"{st} contacts/hh/yr", c / k / n / Y)
        add(f"{st} cold/hh/yr", g.cold_calls.sum() / k / n / Y)
        g1 = g[g.week < 52]
        add(f"{st} contacts/hh y1", (g1.cold_calls.sum() + g1.keep_in_touch.sum() + g1.follow_ups.sum()) / k / n)
        add(f"{st} cold/wk", g.cold_calls.sum() / k / W)
        add(f"{st} cold/wk y1", g1.cold_calls.sum() / k / 52)
        add(f"{st} sales/wk", g.sales.sum() / k / W)
        add(f"{st} sales/wk y1", g1.sales.sum() / k / 52)
        gl = g[g.week >= W - 52]
        add(f"{st} sales/wk last yr", gl.sales.sum() / k / 52)
        add(f"{st} market share", g.sales.sum() / k / (outside + sales_all))
        add(f"{st} turned away", g.turned_away.sum() / k)
        add(f"{st} presentations/wk", g.presentations.sum() / k / W)
        add(f"{st} revenue", g.revenue.sum() / k)
    add("contacts/hh/yr all sellers", allc / n / Y)
print(f"{name}: {n} customers, {W} weeks, {R} replicates")
for k, v in rows.items():
    v = np.array(v); print(f"  {k:32s} {v.mean():10.3f} [{v.min():.3f}, {v.max():.3f}]")
