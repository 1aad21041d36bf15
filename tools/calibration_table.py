import yaml
d=yaml.safe_load(open("sim/configs/calibration/headlines.yaml"))
order=["baseline","two_cobblers","dense_referrals","no_social_ties","scam_wary","large_anonymous","one_off","short_horizon"]
def g(x): return f"{x:.3g}" if abs(x) < 1 else f"{x:.3g}" if abs(x) >= 10 else f"{x:.2f}"
def s(x): return f"{x:+.2f}"
rows=[]
for n in order:
    e=d["scenarios"][n]["ensemble"]; a=d["scenarios"][n]["attribution"]
    w=e["wins"]; r=e["ratio"]; c=e["crossover_week"]; sm=e["single_market"]
    cw = "—" if c["median"] is None else f"{c['median']:.0f} [{c['low']:.0f}, {c['high']:.0f}]; never {c['never_share']:.0%}"
    win={"relationship":"relationship","numbers_game":"numbers game"}.get(sm["winner"], sm["winner"])
    cross = "never" if sm["crossover_week"] is None else f"week {sm['crossover_week']:.0f}"
    groups=sorted(a["groups"].values(), key=lambda v: -abs(v["share"]))[:3]
    top="; ".join(f"{v['label']} {s(v['share'])} [{s(v['low'])}, {s(v['high'])}]" for v in groups)
    rows.append(f"| `{n}` | {e['members']} x {e['replicates']} | {w['relationship']:.0%} | {w['numbers_game']:.0%} | {w['no clear winner']:.0%} | "
                f"{r['median']:.2f} [{r['low']:.2f}, {r['high']:.2f}] | {cw} | {sm['ratio']:.2f} [{sm['ratio_low']:.2f}, {sm['ratio_high']:.2f}], {win}, {cross} | "
                f"total {s(a['total'])} [{s(a['total_low'])}, {s(a['total_high'])}]: {top} |")
print("\n".join(rows))
