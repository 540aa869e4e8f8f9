"""Command line: ``python -m integrations.synthetic --youth N --years Y --seed S --out DIR``."""

from __future__ import annotations

import argparse
import datetime
import sys
import time

from integrations.synthetic.city import DEFAULT_START, generate_city
from integrations.synthetic.dirt import DirtRates


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, generate the city, print what was written."""
    parser = argparse.ArgumentParser(prog="python -m integrations.synthetic", description=__doc__)
    parser.add_argument("--youth", type=int, default=3000, help="number of young people (default 3000)")
    parser.add_argument("--years", type=int, default=3, help="years simulated (default 3)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument(
        "--start",
        type=datetime.date.fromisoformat,
        default=DEFAULT_START,
        help=f"first day of the window, ISO (default {DEFAULT_START.isoformat()})",
    )
    parser.add_argument("--clean", action="store_true", help="write no identity errors and no broken rows")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    report = generate_city(
        youth=args.youth,
        years=args.years,
        seed=args.seed,
        out=args.out,
        start=args.start,
        dirt=DirtRates.clean() if args.clean else None,
    )
    took = time.perf_counter() - began
    print(
        f"wrote {report.out} in {took:.1f} s: {report.youth} youth, {report.households} households, "
        f"{report.schools} schools, {report.person_months} person-months of truth"
    )
    for feed, n in report.rows.items():
        print(f"  {feed}.csv: {n} rows")
    print(f"  broken rows: {report.broken_rows}, identity errors: {report.dirt_rows}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
