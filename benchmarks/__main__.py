"""`python -m benchmarks`: time every stage of the engine per instance, against a direct highspy floor.

Groups of instances (see `benchmarks/README.md`):
  default   the default scenario (Mellansverige) at 26 and 52 weeks
  scaling   copies 1, 2, 4, 8 of a three-region tile (13 weeks) and the tile at 13, 26, 52, 104 weeks
  national  all of Sweden (21 regions, 72 hospitals, 40 procedure groups, 300,000 waiting, 52 weeks)

Without a group flag the default and scaling groups run (a few minutes on 2 cores); `--national`,
`--scaling`, `--default` select groups, `--all` runs all three. Exit code 1 when the two paths'
objectives differ by more than 1e-6 relative, 2 on usage errors.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from benchmarks.instances import DEFAULT_CACHE, all_instances
from benchmarks.runner import (
    RunOptions,
    disagreements,
    environment,
    markdown_growth,
    markdown_table,
    read_csv,
    render,
    run_benchmark,
    write_csv,
)

DEFAULT_OUT = Path("results") / "benchmarks.csv"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__.splitlines()[0],
        epilog="\n".join(__doc__.splitlines()[2:]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--default", action="store_true", help="run the default-scenario group")
    parser.add_argument("--scaling", action="store_true", help="run the scaling series")
    parser.add_argument("--national", action="store_true", help="run the national instance (slow: many minutes)")
    parser.add_argument("--all", action="store_true", help="run every group")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these instances (names as printed)")
    parser.add_argument(
        "--time-limit", type=float, metavar="S", help="HiGHS time limit in seconds for both paths (default: none)"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, metavar="N", help="measure each path N times and keep the fastest (default 1)"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"CSV file to write (default {DEFAULT_OUT})")
    parser.add_argument("--markdown", type=Path, help="also write the table as Markdown to this file")
    parser.add_argument(
        "--cache", type=Path, default=DEFAULT_CACHE, help=f"folder for generated datasets (default {DEFAULT_CACHE})"
    )
    parser.add_argument("--no-direct", action="store_true", help="skip the direct highspy path")
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="also run each instance once under cProfile; statistics to DIR/<instance>.txt|.prof",
    )
    parser.add_argument(
        "--from-csv",
        nargs="+",
        type=Path,
        metavar="CSV",
        help="do not run: print (and --markdown) the results of earlier runs",
    )
    parser.add_argument(
        "--strategy",
        nargs="+",
        choices=["auto", "full_lp", "column_generation"],
        metavar="S",
        help="solve strategies to measure, one row each: auto, full_lp, column_generation (default: auto)",
    )
    parser.add_argument(
        "--sweep",
        action="store_true",
        help="only the warm-start benchmark: a 10-variant capacity-factor sweep, cold against warm",
    )
    parser.add_argument(
        "--cli",
        type=int,
        nargs="?",
        const=5,
        metavar="N",
        help="only the `capplan run` benchmark: N fresh runs of the whole command on the default scenario (default 5)",
    )
    parser.add_argument("--list", action="store_true", help="list the instances and exit")
    parser.add_argument("-v", "--verbose", action="store_true", help="log dataset generation")
    args = parser.parse_args(argv)
    if args.cli is not None and args.cli < 1:
        parser.error("--cli N needs N ≥ 1 runs")
    return args


def write_markdown(rows: list[dict], path: Path | None) -> None:
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    growth_tables = markdown_growth(rows)
    path.write_text(markdown_table(rows) + "\n" + (f"\n{growth_tables}\n" if growth_tables else ""))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    groups = all_instances()
    chosen = [name for name in groups if args.all or getattr(args, name)]
    if not chosen:
        chosen = ["default", "scaling"]
    specs = [spec for name in chosen for spec in groups[name]]
    if args.only:
        every = {spec.name: spec for group in groups.values() for spec in group}
        unknown = [name for name in args.only if name not in every]
        if unknown:
            print(f"unknown instance(s): {', '.join(unknown)}; known: {', '.join(every)}", file=sys.stderr)
            return 2
        specs = [every[name] for name in args.only]
    if args.list:
        for spec in specs:
            print(
                f"{spec.name:16} {spec.group:9} series={spec.series} scale={spec.scale} "
                f"weeks={spec.scenario['horizon_weeks']} {spec.generator or spec.dataset_dir}"
            )
        return 0
    if args.cli is not None:
        return run_cli(args.cli, args.out.with_name("cli.csv"))
    if args.sweep:
        return run_sweep(args.strategy[0] if args.strategy else "auto", args.out.with_name("sweep.csv"))
    if args.from_csv:
        rows = [row for path in args.from_csv for row in read_csv(path)]
        render(rows)
        write_markdown(rows, args.markdown)
        return 0
    options = RunOptions(
        time_limit=args.time_limit,
        repeat=args.repeat,
        cache=args.cache,
        direct=not args.no_direct,
        profile_dir=args.profile,
        strategies=tuple(args.strategy or ("auto",)),
    )
    env = environment()
    rows = run_benchmark(specs, options)
    env["loadavg after"] = environment()["loadavg"]
    write_csv(rows, args.out)
    render(rows, env)
    print(f"wrote {args.out}")
    write_markdown(rows, args.markdown)
    bad = disagreements(rows)
    if bad:
        for row in bad:
            print(
                f"OBJECTIVES DISAGREE on {row['instance']}: engine {row['objective']!r}, direct "
                f"{row['direct_objective']!r} (relative difference {row['rel_diff']:.2e} > 1e-6)",
                file=sys.stderr,
            )
        return 1
    return 0


def run_sweep(strategy: str, out: Path) -> int:
    """The warm-start benchmark (`benchmarks.sweep`); exit 1 if a warm objective differs from its cold one."""
    from benchmarks.sweep import measure_sweep

    print(f"10-variant capacity-factor sweep of the default scenario, strategy {strategy}: cold, then warm")
    row = measure_sweep(strategy=strategy)
    row["loadavg"] = environment()["loadavg"]
    print_and_write_row(row, out)
    return 0 if row["agree"] else 1


def run_cli(runs: int, out: Path) -> int:
    """The `capplan run` benchmark (`benchmarks.cli_run`): wall seconds of the whole command."""
    from benchmarks.cli_run import measure_cli

    print(f"capplan run on the default scenario: {runs} fresh processes after one untimed run")
    try:
        row = measure_cli(runs)
    except RuntimeError as error:
        print(error, file=sys.stderr)
        return 1
    row["loadavg"] = environment()["loadavg"]
    print_and_write_row(row, out)
    return 0


def print_and_write_row(row: dict, out: Path) -> None:
    """Print a one-row benchmark result as key/value lines and write it as a CSV file."""
    import csv

    for key, value in row.items():
        print(f"  {key:20} {value:.4g}" if isinstance(value, float) else f"  {key:20} {value}")
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)
    print(f"wrote {out}")


if __name__ == "__main__":
    sys.exit(main())
