"""Wall time and peak memory of demo generation and `dbt build` at several shop sizes.

    .venv/bin/python bench/build_scaling.py --customers 20000 100000

Each size gets its own scratch directory (raw data + warehouse) under --work (default: a temp
dir), so the real warehouse is never touched. Prints one markdown table; run by hand and paste
the result into docs/benchmarks.md with the machine it ran on.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

from shopper_scores.dbt_runner import PROJECT_DIR, dbt_command, dbt_env

BIN = Path(sys.executable).parent


def _run(command: list[str], env: dict) -> tuple[float, float]:
    """Run a child process; return (wall seconds, peak RSS of the child in GB)."""
    start = time.perf_counter()
    result = subprocess.run(command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command[:3])} failed:\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}")
    # ru_maxrss is the largest child so far (kB on Linux): a run that stays under an earlier
    # child's peak reports that peak, so sizes are run smallest first.
    return elapsed, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="shopper_scores_bench_"))
    print(f"machine: {platform.machine()} {platform.system()}, {os.cpu_count()} cores, "
          f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 1024**3:.0f} GB RAM, "
          f"python {platform.python_version()}")
    print("| customers | raw orders | raw events | generate s | generate peak GB | dbt build s | dbt build peak GB |")
    print("|---|---|---|---|---|---|---|")
    for n in sorted(args.customers):
        raw = work / f"raw_{n}"
        warehouse = work / f"warehouse_{n}.duckdb"
        env = dbt_env(warehouse)
        gen_s, gen_gb = _run([str(BIN / "python"), "-m", "shopper_scores.demo_data", "--out", str(raw),
                              "--customers", str(n), "--seed", "42"], env)
        build_s, build_gb = _run(dbt_command(["build"], raw_dir=raw, work_dir=work / f"dbt_{n}"), env)
        orders = pq.ParquetFile(raw / "orders.parquet").metadata.num_rows
        events = pq.ParquetFile(raw / "events.parquet").metadata.num_rows
        print(f"| {n:,} | {orders:,} | {events:,} | {gen_s:.1f} | {gen_gb:.2f} | {build_s:.1f} | {build_gb:.2f} |", flush=True)


if __name__ == "__main__":
    main()
