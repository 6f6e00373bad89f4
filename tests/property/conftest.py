"""Hypothesis profiles, the small clean shop every example plants on, and a dbt call that keeps the output.

Profiles: ``ci`` (default; few examples, derandomized, so CI is bounded and repeatable) and
``thorough`` (by hand: ``python -m pytest -p no:xdist tests/property --hypothesis-profile thorough``).
Neither shrinks: each example is a dbt build (10-20 s), and the report lists every failing row of
the example anyway.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from shopper_scores.dbt_runner import PROJECT_DIR, dbt_command, dbt_env
from shopper_scores.demo_data import generate

from .hostile import CUT, Shop, clean_refunds

os.environ.setdefault("OMP_NUM_THREADS", "1")

SHOP_CUSTOMERS = 300
SHOP_SEED = 11
TABLES = ("customers", "products", "orders", "order_items", "events", "reviews", "credit_accounts", "repayments")


@pytest.fixture(scope="session")
def clean_shop(tmp_path_factory) -> Shop:
    """A small demo shop without the generator's own dirty rows, plus a clean refunds file:
    every quarantined row of an example is one the example planted."""
    raw = tmp_path_factory.mktemp("property_shop")
    generate(raw, n_customers=SHOP_CUSTOMERS, seed=SHOP_SEED, dirty=False)
    shop = Shop.read(raw, TABLES)
    shop.tables["refunds"] = clean_refunds(shop)
    shop.columns["refunds"] = ["refund_id", "customer_id", "order_id", "refunded_at", "refund_amount"]
    shop.arrow_types = {**shop.arrow_types, "refunds": {
        "refund_id": shop.arrow_types["orders"]["order_id"], "customer_id": shop.arrow_types["orders"]["customer_id"],
        "order_id": shop.arrow_types["orders"]["order_id"], "refunded_at": shop.arrow_types["orders"]["ordered_at"],
        "refund_amount": shop.arrow_types["orders"]["order_amount"]}}
    return shop


@pytest.fixture(scope="session")
def workspace(tmp_path_factory):
    """``workspace(file_format, raw_name)`` -> (work_dir, empty raw dir): the same paths for every
    example that asks for the same format and raw_name, with the raw files and the warehouse wiped.
    The same paths give dbt the same vars, so it reuses its parse (work_dir/target/
    partial_parse.msgpack): ~15 s saved per example. Each pytest-xdist worker has its own session
    directory."""
    base = tmp_path_factory.mktemp("property_work")

    def make(file_format: str, raw_name: str = "raw") -> tuple[Path, Path]:
        shop_dir = base / re.sub(r"[^A-Za-z0-9]", "_", raw_name)  # the hostile part stays in raw_name
        raw, work_dir = shop_dir / raw_name, shop_dir / f"dbt_{file_format}"
        shutil.rmtree(raw, ignore_errors=True)
        raw.mkdir(parents=True)
        work_dir.mkdir(exist_ok=True)
        (work_dir / "warehouse.duckdb").unlink(missing_ok=True)
        return work_dir, raw
    return make


def run_build(args: list[str], *, raw: Path, work_dir: Path, file_format: str) -> subprocess.CompletedProcess:
    """``dbt <args>`` on ``raw`` into ``work_dir``'s own warehouse; returns the result, raising nothing."""
    command = dbt_command(args, raw_dir=raw, work_dir=work_dir, extra_vars={"raw_file_format": file_format})
    return subprocess.run(command, cwd=PROJECT_DIR, env=dbt_env(work_dir / "warehouse.duckdb"),
                          capture_output=True, text=True)


def query(work_dir: Path, sql: str):
    with duckdb.connect(str(work_dir / "warehouse.duckdb"), read_only=True) as connection:
        return connection.sql(sql).df()


def write_manifest(raw: Path, file_format: str, extracted_at=CUT) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    if file_format == "csv":
        (raw / "extraction_manifest.csv").write_text(f"extracted_at\n{extracted_at.isoformat(sep=' ')}\n")
    else:
        pq.write_table(pa.table({"extracted_at": pa.array([extracted_at], pa.timestamp("us"))}),
                       raw / "extraction_manifest.parquet")
