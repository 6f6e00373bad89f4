"""BI snapshots: a reader on the snapshot never blocks a build, and sees the new data on reconnect;
a reader on the warehouse itself is reported clearly before dbt starts."""

import subprocess
import sys
import textwrap

import duckdb

from shopper_scores.warehouse import lock_problem, publish_snapshot, snapshot_path


def _write(path, value):
    with duckdb.connect(str(path)) as connection:
        connection.execute(f"create or replace table scores as select {value} as score")


def test_snapshot_is_replaced_while_a_reader_holds_the_old_one(tmp_path):
    warehouse = tmp_path / "shop.duckdb"
    _write(warehouse, 1)
    snapshot = publish_snapshot(warehouse)
    assert snapshot == snapshot_path(warehouse) == tmp_path / "shop_bi.duckdb"
    with duckdb.connect(str(snapshot), read_only=True) as bi_session:
        # The "build" writes the warehouse and republishes while BI holds the snapshot open.
        assert lock_problem(warehouse) is None
        _write(warehouse, 2)
        publish_snapshot(warehouse)
        assert bi_session.execute("select score from scores").fetchone() == (1,)
    with duckdb.connect(str(snapshot), read_only=True) as reconnected:
        assert reconnected.execute("select score from scores").fetchone() == (2,)
    assert not list(tmp_path.glob(".*.tmp"))


def test_a_reader_on_the_warehouse_itself_is_reported(tmp_path):
    warehouse = tmp_path / "shop.duckdb"
    _write(warehouse, 1)
    # DuckDB's lock is per process: hold it from another one, as a BI tool would.
    reader = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import duckdb, sys, time
            connection = duckdb.connect({str(warehouse)!r}, read_only=True)
            print("open", flush=True)
            sys.stdin.read()
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert reader.stdout.readline().strip() == "open"
        problem = lock_problem(warehouse)
        assert problem is not None and "snapshot" in problem and "shop_bi.duckdb" in problem
    finally:
        reader.stdin.close()
        reader.wait(timeout=30)
    assert lock_problem(warehouse) is None
