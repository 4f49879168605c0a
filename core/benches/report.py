#!/usr/bin/env python3
"""Summarises a `cargo bench -p rcobj --bench handles` run.

Reads criterion's `target/criterion/*/*/new/estimates.json` (median point estimates) and
prints, for every group, each contender's median and, for the round-robin groups
(`<name>_r<k>`), the median over rounds of each contender's ratio to the baseline of the
same round. Usage: `python3 core/benches/report.py [target/criterion]`.
"""

import json
import re
import statistics
import sys
from collections import defaultdict
from pathlib import Path

root = Path(sys.argv[1] if len(sys.argv) > 1 else "target/criterion")


def median_ns(bench_dir: Path) -> float:
    est = json.loads((bench_dir / "new" / "estimates.json").read_text())
    return est["median"]["point_estimate"]


# group -> round -> contender -> ns
rounds = defaultdict(lambda: defaultdict(dict))
single = defaultdict(dict)
for est in sorted(root.glob("**/new/estimates.json")):
    bench_dir = est.parent.parent
    rel = bench_dir.relative_to(root).parts
    group, contender = rel[0], "/".join(rel[1:])
    m = re.fullmatch(r"(.*)_r(\d+)", group)
    if m:
        rounds[m.group(1)][int(m.group(2))][contender] = median_ns(bench_dir)
    else:
        single[group][contender] = median_ns(bench_dir)

BASELINES = {
    "create_drop": ["Arc", "Box"],
    "clone_drop": ["Arc"],
    "downgrade_drop": ["Arc"],
    "upgrade_drop": ["Arc"],
    "eq": ["value", "exact_final"],
    "hash": ["value", "exact_final"],
}

print("| group | contender | median ns (median over rounds) "
      "| ratio: median of per-round ratios (min–max over rounds) |")
print("|---|---|---|---|")
for group, by_round in sorted(rounds.items()):
    names = sorted({c for r in by_round.values() for c in r})
    for name in names:
        ns = statistics.median(r[name] for r in by_round.values() if name in r)
        ratios = []
        if group == "is":
            # rcobj_is against any_is of the same case.
            if name.endswith("_rcobj_is"):
                base = name.replace("_rcobj_is", "_any_is")
                rs = [r[name] / r[base] for r in by_round.values() if name in r and base in r]
                ratios.append(f"{statistics.median(rs):.3f} vs dyn Any "
                              f"({min(rs):.2f}–{max(rs):.2f})")
        else:
            for base in BASELINES.get(group, []):
                if base == name:
                    continue
                rs = [r[name] / r[base] for r in by_round.values() if name in r and base in r]
                if rs:
                    ratios.append(f"{statistics.median(rs):.3f} vs {base} "
                                  f"({min(rs):.2f}–{max(rs):.2f})")
        print(f"| {group} | {name} | {ns:.2f} | {', '.join(ratios)} |")
for group, by_name in sorted(single.items()):
    for name, ns in sorted(by_name.items()):
        print(f"| {group} | {name} | {ns:.2f} | |")
print(f"\n({len(rounds)} round-robin groups, rounds: "
      f"{max((len(v) for v in rounds.values()), default=0)})")
