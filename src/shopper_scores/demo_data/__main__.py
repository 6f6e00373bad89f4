"""CLI: python -m shopper_scores.demo_data --out DIR --customers N --seed S [...]"""

from __future__ import annotations

import argparse
import json
import sys
import time

from .generator import generate, is_up_to_date


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m shopper_scores.demo_data",
        description="Generate the synthetic shop's raw Parquet tables plus ground truth.",
    )
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--customers", type=int, default=20_000, help="number of customers")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--start", default="2022-01-01", help="first possible signup (naive UTC)")
    p.add_argument("--extracted-at", default="2025-12-31T18:00:00", help="data cut (naive UTC)")
    p.add_argument("--chunk-size", type=int, default=50_000, help="customers per chunk")
    p.add_argument("--no-dirty", action="store_true", help="do not plant dirty rows")
    p.add_argument(
        "--skip-if-present",
        action="store_true",
        help="do nothing when OUT already holds data generated with the same arguments",
    )
    args = p.parse_args(argv)
    settings = dict(
        n_customers=args.customers,
        seed=args.seed,
        start=args.start,
        extracted_at=args.extracted_at,
        chunk_size=args.chunk_size,
        dirty=not args.no_dirty,
    )
    if args.skip_if_present and is_up_to_date(args.out, **settings):
        print(f"demo data in {args.out} is up to date; not regenerating")
        return 0
    t0 = time.perf_counter()
    counts = generate(args.out, **settings)
    elapsed = time.perf_counter() - t0
    print(json.dumps({"out": args.out, "seconds": round(elapsed, 2), "rows": counts}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
