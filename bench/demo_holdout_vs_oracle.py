"""Print the demo data's holdout metrics next to the oracle's (run by hand; see README).

    .venv/bin/python bench/demo_holdout_vs_oracle.py [--warehouse warehouse/shopper_scores.duckdb] [--raw data/demo]

Reads the warehouse itself, read-only (it needs the intermediate and ml tables the BI snapshot does not publish):
close this before the next build.
"""

from __future__ import annotations

import argparse
import platform
from pathlib import Path

import pandas as pd

from shopper_scores.demo_data.holdout_report import comparison_table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", default="warehouse/shopper_scores.duckdb", type=Path)
    parser.add_argument("--raw", default="data/demo", type=Path)
    args = parser.parse_args()
    table = comparison_table(args.warehouse, args.raw)
    print(f"machine: {platform.machine()}, {platform.system()}, python {platform.python_version()}")
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.float_format", "{:.3f}".format):
        for family, rows in table.groupby("family", sort=False):
            print(f"\n{family}: test split (rows that played no part in fitting or choosing)")
            print(rows.drop(columns="family").dropna(axis=1, how="all").to_string(index=False))


if __name__ == "__main__":
    main()
