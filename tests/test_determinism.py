"""Two builds on the same raw data give identical marts, value for value, per primary key.

Exactly: no tolerance. A value off in its last bit is a different value (a probability of default
that changes on a rebuild, a BI total that does not reconcile), so the comparison is SQL's
``is distinct from`` on the stored values: NULL matches only NULL, a double matches only the same
double. The second build also runs with other thread counts (dbt and DuckDB one thread, OpenMP
two): what the marts hold must not depend on how many threads computed it.
"""

from __future__ import annotations

import duckdb
import pytest
import yaml

from .conftest import PROJECT_DIR, query, run_dbt

pytestmark = pytest.mark.dbt

# Per primary key (None: the table has none, e.g. quarantined_rows repeats a duplicated raw row's
# key; compared as a multiset of whole rows).
TABLES = {
    "main.user_features": ("customer_id", "as_of_date"),
    "main.purchasing_power_scores": ("customer_id", "as_of_date"),
    "main.credit_scores": ("customer_id", "as_of_date"),
    "main.model_metrics": ("model_name", "model_version", "as_of_date", "split", "metric_name"),
    "main.model_metrics_wide": ("model_name", "model_version", "as_of_date", "split"),
    "main.quarantined_rows": None,
    "main.raw_row_accounting": ("source_table",),
    "main.unscored_customers": ("customer_id",),
    "main.credit_calibration": ("model_version", "score_decile"),
    "main.credit_grade_summary": ("master_scale_version", "grade"),
    "main.credit_cutoff_tradeoffs": ("model_version", "cut_off_score"),
    # The training logs the metrics and scores come from.
    "ml.ml_purchasing_power_training": ("model_name", "stage"),
    "ml.ml_credit_training": ("model_name", "stage"),
}

# Run metadata, allowed to differ between two builds of the same data (and only these).
EXCEPTED_COLUMNS = {
    "context_run_id": "the id of the dbt invocation that built the scoring context",
    "scored_at": "when the dbt invocation that built the scoring context started",
    "build_run_id": "the id of the dbt invocation that built a quality table",
    "model_blob": "a pickle: what must repeat is what it does (versions, metrics, scores), not its bytes",
}


def _columns(connection, table: str) -> list[str]:
    schema, name = table.split(".")
    rows = connection.execute(
        "select column_name from duckdb_columns() where database_name = 'first' and schema_name = ? "
        "and table_name = ? order by column_index", [schema, name]).fetchall()
    return [row[0] for row in rows]


def _differences(connection, table: str, key: tuple[str, ...] | None) -> list[str]:
    """What differs in ``table`` between the attached warehouses ``first`` and ``second``."""
    schema, name = table.split(".")
    first, second = f"first.{schema}.{name}", f"second.{schema}.{name}"
    columns = _columns(connection, table)
    compared = [c for c in columns if c not in EXCEPTED_COLUMNS]
    listed = ", ".join(f'"{c}"' for c in compared)
    if key is None:
        found = []
        for a, b in ((first, second), (second, first)):
            n = connection.execute(
                f"select count(*) from (select {listed} from {a} except all select {listed} from {b})").fetchone()[0]
            if n:
                found.append(f"{n} row(s) of {a} not in {b}")
        return found
    keys = ", ".join(f'"{c}"' for c in key)
    for side in (first, second):
        total, distinct = connection.execute(f"select count(*), count(distinct ({keys})) from {side}").fetchone()
        assert total == distinct, f"{side}: key ({keys}) is not unique"
    on = " and ".join(f'a."{c}" = b."{c}"' for c in key)
    key_of_a = ", ".join(f'a."{c}"' for c in key)
    found = []
    unmatched = connection.execute(
        f"select count(*) filter (where a.\"{key[0]}\" is null), count(*) filter (where b.\"{key[0]}\" is null) "
        f"from {first} as a full outer join {second} as b on {on}").fetchone()
    if any(unmatched):
        found.append(f"keys only in the second build: {unmatched[0]}, only in the first: {unmatched[1]}")
    for column in compared:
        if column in key:
            continue
        n, example = connection.execute(
            f'select count(*), any_value(({key_of_a}, a."{column}", b."{column}")) '
            f'from {first} as a inner join {second} as b on {on} where a."{column}" is distinct from b."{column}"'
        ).fetchone()
        if n:
            found.append(f"{column}: {n} row(s) differ, e.g. key, first, second = {example}")
    return found


def _other_threads_profile(directory):
    """The project's profile with one dbt thread and one DuckDB thread (a copy: the project's
    profiles.yml stays as it is)."""
    profiles = yaml.safe_load((PROJECT_DIR / "profiles" / "profiles.yml").read_text())
    project = profiles["shopper_scores"]
    target = project["outputs"][project["target"]]
    target["threads"] = 1
    target.setdefault("settings", {})["threads"] = 1
    directory.mkdir()
    (directory / "profiles.yml").write_text(yaml.safe_dump(profiles))
    return directory


def test_two_builds_on_the_same_data_give_identical_marts(tmp_path, demo_raw, built_warehouse, monkeypatch):
    second = tmp_path / "second.duckdb"
    profiles = _other_threads_profile(tmp_path / "profiles")
    monkeypatch.setenv("OMP_NUM_THREADS", "2")  # the package must pin its own thread counts
    run_dbt(["build", "--exclude", "resource_type:test", "resource_type:unit_test", "--profiles-dir", str(profiles)],
            warehouse=second, raw_dir=demo_raw, work_dir=tmp_path)
    with duckdb.connect() as connection:
        connection.execute(f"attach '{built_warehouse}' as first (read_only)")
        connection.execute(f"attach '{second}' as second (read_only)")
        differences = {}
        for table, key in TABLES.items():
            assert _columns(connection, table), f"{table} is missing from the first build"
            found = _differences(connection, table, key)
            if found:
                differences[table] = found
    assert not differences, "two builds of the same data differ:\n" + "\n".join(
        f"{table}:\n  " + "\n  ".join(found) for table, found in differences.items())


def test_no_mart_holds_nan_or_infinity_and_undefined_metrics_are_null(built_warehouse):
    # every number, date and timestamp column of every mart, the score and metric marts included
    columns = query(built_warehouse, """
        select table_name, column_name from duckdb_columns()
        where schema_name = 'main'
            and (data_type in ('DOUBLE', 'FLOAT', 'DATE') or data_type like 'TIMESTAMP%')
    """)
    assert len(columns)
    for table, column in columns.itertuples(index=False):
        n = query(built_warehouse, f'select count(*) as n from main."{table}" where not isfinite("{column}")')["n"][0]
        assert n == 0, f"{table}.{column} holds NaN or infinity in {n} row(s)"
    # The mean baseline predicts a constant, so its rank correlation is undefined on every window:
    # NULL (metrics.py gives NaN there; model_metrics turns it into NULL).
    undefined = query(built_warehouse, """
        select split, metric_value from main.model_metrics
        where model_name = 'purchasing_power_mean' and metric_name = 'spearman' and split in ('validation', 'test')
    """)
    assert len(undefined) == 2 and undefined["metric_value"].isna().all()
