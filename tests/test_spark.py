"""The SQL layer on Apache Spark gives DuckDB's features, value for value.

One small demo shop (dirty rows included) is built twice: on DuckDB (the `dev` target) and on
Spark (the `spark` target: dbt-spark's `session` method, PySpark in the dbt process on the local
Java 17, Parquet tables under a temporary directory; docs/spark.md). Both build selector
`sql_layer` (selectors.yml): sources, base / staging, population, features, labels and training
sets, `user_features` and the quality marts, with their data tests (and on DuckDB the unit
tests); no Python model (the session method cannot run them).

Compared, per key: the same rows, the same columns in the same order with the same Arrow types,
and the same values: exact for integers, text, dates and booleans (NULL only where the other
has NULL); timestamps exact once both are read as UTC; doubles within a relative tolerance of
``REL_TOLERANCE``. Why a tolerance at all, and why this one: both engines compute in IEEE doubles
and the project sums money exactly (decimal, then one rounding: macros/exact_aggregates.sql), so
the values agree to the last bit or within a few units in the last place (2.2e-16 relative each:
a decimal-to-double conversion or a library square root may round the other way). Any real
difference (a row counted or not, a cent in a million, a different cut-off) is 1e-8 relative or
far more, so 1e-9 separates rounding from error with six orders of magnitude on either side.

Skipped (with the reason) only when no Java is installed: CI has Java 17.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from shopper_scores.dbt_runner import PROJECT_DIR, DbtRunError, dbt_command, dbt_env, run_dbt
from shopper_scores.demo_data import generate

pytestmark = [pytest.mark.dbt, pytest.mark.spark]

REL_TOLERANCE = 1e-9
# Near zero a relative bound means nothing (0 against 1e-300): below this, absolute.
ABS_TOLERANCE = 1e-12

CUSTOMERS = 400
SEED = 11

# The SQL layer (selectors.yml): every model but the dbt Python models and the marts on them.
SELECTOR = "sql_layer"

# (schema on DuckDB, schema on Spark, table): its key columns, and whether its column types must be
# the same (a contracted mart) or only of the same family (intermediate tables: each engine picks
# its own integer width for a sum or a day count, e.g. DuckDB's 128-bit sums).
# DuckDB's marts live in `main`, Spark's in the target schema of the profile (shopper_scores).
TABLES = {
    ("main", "shopper_scores", "user_features"): (("customer_id", "as_of_date"), True),
    ("intermediate", "intermediate", "int_scoring_context"): ((), False),
    ("intermediate", "intermediate", "int_purchasing_power_training_set"): (("customer_id", "feature_date"), False),
    ("intermediate", "intermediate", "int_purchasing_power_training_sample"): (("customer_id", "feature_date"), False),
    ("intermediate", "intermediate", "int_credit_training_set"): (("credit_account_id",), False),
    ("main", "shopper_scores", "raw_row_accounting"): (("source_table",), True),
}
# unscored_customers is built (and tested) on Spark too, but the demo has no customer first seen
# after the cut, so there is nothing to compare.

# Run metadata: the id of the dbt invocation that built the scoring context, and when it started,
# differ by build.
RUN_ID_COLUMNS = ("context_run_id", "build_run_id", "scored_at")


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """(DuckDB warehouse file, Spark directory, the Spark build's invocation id)."""
    if shutil.which("java") is None:
        pytest.skip("no Java on PATH: the spark target runs PySpark on a local JVM (Java 17; CI has it)")
    work = tmp_path_factory.mktemp("spark")
    raw = work / "raw"
    generate(raw, n_customers=CUSTOMERS, seed=SEED)

    duck_dir = work / "duckdb"
    warehouse = duck_dir / "warehouse.duckdb"
    started = time.monotonic()
    run_dbt(["build", "--selector", SELECTOR], warehouse=warehouse, raw_dir=raw, work_dir=duck_dir)
    print(f"dbt build (DuckDB): {time.monotonic() - started:.0f} s")

    spark_dir = work / "spark"
    # dbt's unit tests are left out on Spark for time (they pass there too: a plain
    # `dbt build --target spark --selector sql_layer` runs them); every data test runs.
    command = dbt_command(["build", "--target", "spark", "--selector", SELECTOR, "--exclude-resource-type", "unit_test"],
                          raw_dir=raw, work_dir=spark_dir)
    env = {**dbt_env(warehouse), "SHOPPER_SCORES_SPARK_DIR": str(spark_dir)}
    started = time.monotonic()
    result = subprocess.run(command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True)
    print(f"dbt build --target spark: {time.monotonic() - started:.0f} s")
    if result.returncode != 0:
        raise DbtRunError(f"dbt build --target spark failed (exit {result.returncode}):\n"
                          f"{result.stdout[-8000:]}\n{result.stderr[-3000:]}")
    manifest = json.loads((spark_dir / "target" / "manifest.json").read_text())
    assert manifest["metadata"]["adapter_type"] == "spark"
    run_results = json.loads((spark_dir / "target" / "run_results.json").read_text())
    statuses = {r["status"] for r in run_results["results"]}
    assert statuses <= {"success", "pass"}, statuses
    return warehouse, spark_dir, run_results["metadata"]["invocation_id"]


def _duckdb_table(warehouse: Path, schema: str, table: str) -> pa.Table:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        result = connection.sql(f'select * from "{schema}"."{table}"').arrow()
        return result.read_all() if isinstance(result, pa.RecordBatchReader) else result


def _spark_table(spark_dir: Path, schema: str, table: str) -> pa.Table:
    """A Spark table read from its Parquet files (<warehouse dir>/<schema>.db/<table>/)."""
    location = spark_dir / "tables" / f"{schema}.db" / table
    files = sorted(location.glob("*.parquet"))
    assert files, f"Spark wrote no Parquet file for {schema}.{table} under {location}"
    return pa.concat_tables([pq.read_table(f) for f in files], promote_options="permissive")


def _normalised_type(data_type: pa.DataType, strict: bool):
    """Types that hold the same values: large/small text, timestamps as UTC microseconds, and
    (not strict) any integer width or whole-number decimal as one integer family."""
    if pa.types.is_large_string(data_type) or pa.types.is_string(data_type):
        return pa.string()
    if pa.types.is_timestamp(data_type):
        return pa.timestamp("us")
    if not strict and (pa.types.is_integer(data_type) or (pa.types.is_decimal(data_type) and data_type.scale == 0)):
        return "integer"
    return data_type


def _column_values(table: pa.Table, name: str) -> list:
    column = table.column(name)
    if pa.types.is_timestamp(column.type):
        if column.type.tz is not None:  # Spark's timestamps are instants: their UTC wall time
            column = column.cast(pa.timestamp("us", tz="UTC")).cast(pa.timestamp("us"))
        column = column.cast(pa.timestamp("us"))
    return column.to_pylist()


def _sorted_by_key(table: pa.Table, key: tuple[str, ...]) -> pa.Table:
    if not key:
        return table
    return table.sort_by([(column, "ascending") for column in key])


def _double_differs(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return (a is None) != (b is None)
    if math.isnan(a) or math.isnan(b) or math.isinf(a) or math.isinf(b):
        return not (a == b or (math.isnan(a) and math.isnan(b)))
    return abs(a - b) > max(ABS_TOLERANCE, REL_TOLERANCE * max(abs(a), abs(b)))


def _differences(duck: pa.Table, spark: pa.Table, key: tuple[str, ...], strict: bool) -> tuple[list[str], float]:
    """What differs (at most a few examples per column) and the largest relative double difference."""
    found = []
    if duck.column_names != spark.column_names:
        return [f"columns differ:\n  duckdb {duck.column_names}\n  spark  {spark.column_names}"], 0.0
    for name in duck.column_names:
        a = _normalised_type(duck.schema.field(name).type, strict)
        b = _normalised_type(spark.schema.field(name).type, strict)
        if a != b:
            found.append(f"{name}: type {duck.schema.field(name).type} on DuckDB, {spark.schema.field(name).type} on Spark")
    if found:
        return found, 0.0
    for side, table in (("DuckDB", duck), ("Spark", spark)):
        keys = list(zip(*(table.column(c).to_pylist() for c in key))) if key else [()] * table.num_rows
        assert len(set(keys)) == len(keys), f"{side}: the key {key} is not unique"
    duck, spark = _sorted_by_key(duck, key), _sorted_by_key(spark, key)
    duck_keys = list(zip(*(_column_values(duck, c) for c in key))) if key else [()] * duck.num_rows
    spark_keys = list(zip(*(_column_values(spark, c) for c in key))) if key else [()] * spark.num_rows
    if duck_keys != spark_keys:
        only_duck, only_spark = set(duck_keys) - set(spark_keys), set(spark_keys) - set(duck_keys)
        return [f"keys differ: {len(only_duck)} only on DuckDB (e.g. {sorted(only_duck)[:3]}), "
                f"{len(only_spark)} only on Spark (e.g. {sorted(only_spark)[:3]})"], 0.0
    worst = 0.0
    for name in duck.column_names:
        if name in RUN_ID_COLUMNS:
            continue
        a, b = _column_values(duck, name), _column_values(spark, name)
        if pa.types.is_floating(duck.schema.field(name).type):
            bad = [i for i, (x, y) in enumerate(zip(a, b)) if _double_differs(x, y)]
            for x, y in zip(a, b):
                if x is not None and y is not None and math.isfinite(x) and math.isfinite(y) and x != y:
                    worst = max(worst, abs(x - y) / max(abs(x), abs(y)))
        else:
            bad = [i for i, (x, y) in enumerate(zip(a, b)) if x != y]
        if bad:
            examples = "; ".join(f"{duck_keys[i]}: DuckDB {a[i]!r}, Spark {b[i]!r}" for i in bad[:3])
            found.append(f"{name}: {len(bad)} of {len(a)} values differ ({examples})")
    return found, worst


@pytest.mark.parametrize("names", list(TABLES), ids=[t[2] for t in TABLES])
def test_spark_table_equals_duckdb(builds, names):
    warehouse, spark_dir, _ = builds
    duck_schema, spark_schema, table = names
    duck = _duckdb_table(warehouse, duck_schema, table)
    spark = _spark_table(spark_dir, spark_schema, table)
    assert duck.num_rows > 0, f"{table} is empty on DuckDB: the comparison would prove nothing"
    found, worst = _differences(duck, spark, *TABLES[names])
    assert not found, f"{table}: Spark differs from DuckDB:\n- " + "\n- ".join(found)
    assert worst <= REL_TOLERANCE
    print(f"{table}: {duck.num_rows} rows equal; largest relative double difference {worst:.1e}")


def test_user_features_carry_the_spark_build_run_id(builds):
    """The run-id column is the one value that must differ: each build stamps its own invocation."""
    _, spark_dir, invocation_id = builds
    spark = _spark_table(spark_dir, "shopper_scores", "user_features")
    assert set(spark.column("context_run_id").to_pylist()) == {invocation_id}


def test_quarantine_equals_duckdb(builds):
    """The same raw rows are rejected for the same first reason, and counted the same per reason."""
    warehouse, spark_dir, _ = builds
    duck = _duckdb_table(warehouse, "main", "quarantined_rows")
    spark = _spark_table(spark_dir, "shopper_scores", "quarantined_rows")

    def counts(table: pa.Table) -> dict:
        grouped = table.group_by(["source_table", "rejection_reason"]).aggregate([("row_key", "count")])
        return {(s, r): n for s, r, n in zip(*(grouped.column(c).to_pylist()
                                                 for c in ("source_table", "rejection_reason", "row_key_count")))}

    duck_counts, spark_counts = counts(duck), counts(spark)
    assert len(duck_counts) >= 3, f"too few kinds of dirty rows to prove anything: {duck_counts}"
    assert spark_counts == duck_counts

    def rows(table: pa.Table) -> list:
        return sorted(zip(*(table.column(c).to_pylist() for c in ("source_table", "row_key", "rejection_reason"))))

    assert rows(spark) == rows(duck)



def test_comparison_catches_differences():
    """The comparison itself (no build needed): rounding passes, anything else is reported."""
    duck = pa.table({"customer_id": ["a", "b"], "n": pa.array([1, 2], pa.int64()), "x": [0.1 + 0.2, 2.0]})

    def with_column(name, values, data_type=None):
        return duck.set_column(duck.column_names.index(name), name, pa.array(values, data_type))

    key = ("customer_id",)
    assert _differences(duck, duck, key, True) == ([], 0.0)
    one_ulp = with_column("x", [math.nextafter(0.1 + 0.2, 1.0), 2.0])
    found, worst = _differences(duck, one_ulp, key, True)
    assert found == [] and 0 < worst < 1e-15
    assert _differences(duck, with_column("x", [0.3 * (1 + 1e-8), 2.0]), key, True)[0]
    assert _differences(duck, with_column("x", [None, 2.0]), key, True)[0]
    assert _differences(duck, with_column("n", [1, 3], pa.int64()), key, True)[0]
    assert _differences(duck, with_column("customer_id", ["a", "c"]), key, True)[0]
    assert _differences(duck, with_column("n", [1, 2], pa.int32()), key, True)[0]
    assert _differences(duck, with_column("n", [1, 2], pa.int32()), key, False) == ([], 0.0)
    assert _differences(duck, duck.select(["customer_id", "x", "n"]), key, True)[0]
