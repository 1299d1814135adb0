"""`make bench`: run every benchmark and print each figure beside its baseline.

`make bench ARGS="tasks images"` runs only the named ones.
"""

from __future__ import annotations

import argparse
import importlib
import math
import pkgutil
import sys

from bench.common import Row, peak_rss, setup_django

SUPPORT_MODULES = {"common", "__main__"}


def benchmark_names() -> list[str]:
    import bench

    return [
        m.name
        for m in pkgutil.iter_modules(bench.__path__)
        if m.name not in SUPPORT_MODULES and not m.name.startswith("_")
    ]


def format_table(rows: list[Row]) -> str:
    header = (
        "capability",
        "metric",
        "project",
        "baseline",
        "baseline is",
        "project/baseline",
        "goal",
        "peak RSS of a process",
        "note",
    )
    lines = [header]
    for row in rows:
        ratio = "n/a" if math.isnan(row.ratio) else f"{row.ratio:.2f}x"
        lines.append(
            (
                row.capability,
                row.metric,
                f"{row.project:,.2f} {row.unit}",
                f"{row.baseline:,.2f} {row.unit}",
                row.baseline_name,
                ratio,
                row.goal,
                row.peak_rss,
                row.note,
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for n, line in enumerate(lines):
        out.append("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())
        if n == 0:
            out.append("  ".join("-" * width for width in widths))
    return "\n".join(out)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default: all of {benchmark_names()})")
    args = parser.parse_args(argv)
    names = args.names or benchmark_names()
    unknown = set(names) - set(benchmark_names())
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    setup_django()
    rows: list[Row] = []
    for name in names:
        print(f"== {name}", flush=True)
        module_rows = importlib.import_module(f"bench.{name}").run()
        peaks = peak_rss.take()
        for row in module_rows:
            row.peak_rss = peaks
        print(format_table(module_rows), flush=True)
        rows.extend(module_rows)
    print("\n== all benchmarks")
    print(format_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
