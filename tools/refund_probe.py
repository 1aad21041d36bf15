"""Probe (worktree refund-cost): owns_failures at its maximum vs lower, with the refund, per market and preset."""
import sys, numpy as np
sys.path.insert(0, "tests")
import test_fairness as tf
from sim.strategy import PRESETS, knob_range
knob = "owns_failures"; low, top = knob_range(knob)
comparisons = len(tf.MAXIMUM_MARKETS) * len(tf.POLES)
for market in tf.MAXIMUM_MARKETS + ("short_horizon",):
    weeks = tf.SHORTER.get(market)
    for pole in tf.POLES:
        own = getattr(PRESETS[pole], knob); lower = own if own < top else low
        a, _ = tf.knob_runs(market, weeks, pole, tf.with_knob(pole, knob, lower), None, 12)
        b, _ = tf.knob_runs(market, weeks, pole, tf.with_knob(pole, knob, top), None, 12)
        d = [x - y for x, y in zip(a, b)]
        flag = "MAX WORSE beyond noise" if np.mean(d) > tf.bound(d, comparisons) else ""
        print(f"{market:16s} {pole:13s} at {lower:g}: {np.mean(a):>10,.0f}  at 1: {np.mean(b):>10,.0f}  "
              f"diff {np.mean(d):>9,.0f} bound {tf.bound(d, comparisons):>8,.0f} {flag}", flush=True)
