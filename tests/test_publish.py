"""Publishing the BI snapshot: only after a complete, passing build, only BI-facing tables,
pseudonymous customer ids by default, swapped in atomically.

The first tests publish small hand-made warehouses (fast lane); the ``dbt`` ones build a small
CSV shop with ``scripts/build.sh`` while a reader queries the snapshot, then scan what was
published for raw ids and personal data."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from shopper_scores.demo_data import generate
from shopper_scores.publish import (
    CREDIT_REPORTS, CUSTOMER_MARTS, DEMO_PSEUDONYM_KEY, KEY_ENV, PUBLISHED, PublishError, PublishParams, pseudonyms, publish,
)
from shopper_scores.warehouse import snapshot_path

from .conftest import PROJECT_DIR, run_dbt

KEY = "a-test-key-of-32-characters-long"
OTHER_KEY = "another-test-key-also-long-enough"


# --- hand-made warehouses (fast lane) -------------------------------------------------------------

def fake_warehouse(directory: Path, run_id: str = "run-1", *, stale_mart: str | None = None,
                   statuses: dict | None = None, command: str = "build",
                   build_vars: dict | None = None, stale_quality_table: str | None = None) -> tuple[Path, Path]:
    """A warehouse with the tables publish reads, and the target directory of its "build"."""
    directory.mkdir(parents=True, exist_ok=True)
    warehouse, target = directory / "warehouse.duckdb", directory / "target"
    with duckdb.connect(str(warehouse)) as c:
        c.execute("create schema intermediate; create schema staging")
        c.execute(f"create table intermediate.int_scoring_context as select '{run_id}' as context_run_id, "
                  "date '2025-12-31' as as_of_date")
        ids = "select unnest(['101', '102', '103']) as customer_id, date '2025-12-31' as as_of_date"
        for mart, extra in [
            ("purchasing_power_scores", "10.0 as predicted_spend, 'pp-v1' as model_version"),
            ("credit_scores", "0.1 as probability_of_default, 'cr-v1' as model_version"),
            ("credit_offers", "'refer' as decision, 0.0 as suggested_limit"),
            ("user_features", "47 as age_years, 'north' as region, '2' as city_tier, 3 as orders_lifetime"),
            ("unscored_customers", "'signed_up_on_or_after_as_of_date' as reason"),
        ]:
            mart_run = "previous-run" if mart == stale_mart else run_id
            c.execute(f"create table main.{mart} as select customer_id, as_of_date, "
                      f"'{mart_run}' as context_run_id, {extra} from ({ids})")
        for report in CREDIT_REPORTS:
            c.execute(f"create table main.{report} as select 'cr-v1' as model_version, 1 as n")
        c.execute("create table main.model_metrics as select 'm' as model_name, 0.5 as metric_value")
        c.execute("create view main.model_metrics_wide as select model_name, metric_value as auc from main.model_metrics")
        quality_run = {table: "previous-run" if table == stale_quality_table else run_id
                       for table in ("raw_row_accounting", "quarantined_rows")}
        c.execute("create table main.raw_row_accounting as select 'customers' as source_table, 4 as raw_rows, "
                  f"'{quality_run['raw_row_accounting']}' as build_run_id")
        c.execute("create table main.quarantined_rows as select 'customers' as source_table, "
                  f"'104' as row_key, 'duplicate' as rejection_reason, '{quality_run['quarantined_rows']}' as build_run_id")
        c.execute("create table staging.stg_shop__customers as select '101' as customer_id, 'F' as gender")
    target.mkdir(exist_ok=True)
    results = [{"unique_id": f"model.shopper_scores.{m}", "status": "success"} for m in CUSTOMER_MARTS]
    results += [{"unique_id": node, "status": status, "message": f"Got 3 results"}
                for node, status in (statuses or {}).items()]
    (target / "run_results.json").write_text(json.dumps(
        {"metadata": {"invocation_id": run_id}, "args": {"which": command, "vars": build_vars or {}},
         "results": results}))
    (target / "manifest.json").write_text(json.dumps({"nodes": {}}))
    return warehouse, target


def read_snapshot(snapshot: Path) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(snapshot), read_only=True) as c:
        tables = [row[0] for row in c.execute(
            "select schema_name || '.' || table_name from duckdb_tables() where database_name = current_database()"
        ).fetchall()]
        views = c.execute("select count(*) from duckdb_views() where not internal").fetchall()[0][0]
        assert views == 0, "the snapshot holds views (they would point at files elsewhere)"
        return {name: c.sql(f"select * from {name}").df() for name in tables}


def test_publishes_only_bi_tables_with_pseudonyms_and_an_age_band(tmp_path):
    warehouse, target = fake_warehouse(tmp_path)
    snapshot = publish(warehouse, PublishParams(pseudonym_key=KEY, target_path=target))
    assert snapshot == snapshot_path(warehouse)
    tables = read_snapshot(snapshot)
    assert set(tables) == {f"main.{t}" for t in PUBLISHED} | {"main._publication"}
    expected_ids = set(pseudonyms(["101", "102", "103"], KEY.encode()))
    for mart in CUSTOMER_MARTS:
        assert set(tables[f"main.{mart}"]["customer_id"]) == expected_ids
    features = tables["main.user_features"]
    assert "age_years" not in features and set(features["age_band"]) == {"45-54"}
    assert tables["main.quarantined_row_counts"].to_dict("records") == [
        {"source_table": "customers", "rejection_reason": "duplicate", "n_rows": 1}]
    publication = tables["main._publication"].iloc[0]
    assert publication["context_run_id"] == "run-1" and publication["customer_id_kind"] == "hmac_sha256_128"
    assert publication["purchasing_power_model_version"] == "pp-v1" and not publication["is_demo_key"]
    assert not list(tmp_path.glob(".*.tmp*"))


def test_pseudonyms_are_stable_per_key_and_differ_across_keys():
    ids = [str(i) for i in range(1000)]
    first, again, other = pseudonyms(ids, KEY.encode()), pseudonyms(ids, KEY.encode()), pseudonyms(ids, OTHER_KEY.encode())
    assert first == again and len(set(first)) == len(ids)
    assert not set(first) & set(other) and not set(first) & set(ids)


@pytest.mark.parametrize("case, message", [
    (dict(statuses={"test.shopper_scores.not_null_credit_scores_credit_score.abc": "fail",
                    "model.shopper_scores.model_metrics": "skipped"}),
     "not_null_credit_scores_credit_score.abc: fail (Got 3 results); model.shopper_scores.model_metrics: skipped"),
    (dict(stale_mart="credit_scores"), "main.credit_scores has 3 rows of run previous-run"),
    (dict(command="run"), "the last dbt command was `dbt run`"),
])
def test_refuses_a_failed_incomplete_or_mixed_build(tmp_path, case, message):
    warehouse, target = fake_warehouse(tmp_path, **case)
    with pytest.raises(PublishError, match="not published") as error:
        publish(warehouse, PublishParams(pseudonym_key=KEY, target_path=target))
    assert message in str(error.value)
    assert not snapshot_path(warehouse).exists() and not list(tmp_path.glob(".*.tmp*"))


def test_refuses_results_of_another_invocation(tmp_path):
    warehouse, target = fake_warehouse(tmp_path, "run-2")
    fake_warehouse(tmp_path / "older", "run-1")
    with pytest.raises(PublishError, match="records dbt invocation run-1 .* built by invocation run-2"):
        publish(warehouse, PublishParams(pseudonym_key=KEY, target_path=tmp_path / "older" / "target"))


def test_the_public_demo_key_publishes_only_the_generated_demo(tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    warehouse, target = fake_warehouse(tmp_path, build_vars={"raw_data_path": str(tmp_path / "real_shop")})
    with pytest.raises(PublishError, match="not the generated demo"):
        publish(warehouse, PublishParams(demo=True, target_path=target))
    monkeypatch.setenv(KEY_ENV, DEMO_PSEUDONYM_KEY)  # the demo key through the environment: the same
    with pytest.raises(PublishError, match="public demo key"):
        publish(warehouse, PublishParams(target_path=target))
    monkeypatch.setenv(KEY_ENV, KEY)
    assert publish(warehouse, PublishParams(target_path=target)).exists()


def test_quality_tables_of_another_build_are_refused(tmp_path):
    for table in ("raw_row_accounting", "quarantined_rows"):
        warehouse, target = fake_warehouse(tmp_path / table, stale_quality_table=table)
        with pytest.raises(PublishError, match=f"main.{table} has 1 rows of run previous-run"):
            publish(warehouse, PublishParams(pseudonym_key=KEY, target_path=target))


def test_a_missing_manifest_is_refused(tmp_path):
    warehouse, target = fake_warehouse(tmp_path)
    (target / "manifest.json").unlink()
    with pytest.raises(PublishError, match="manifest.json does not exist"):
        publish(warehouse, PublishParams(pseudonym_key=KEY, target_path=target))


def test_key_rules_demo_key_and_raw_opt_out(tmp_path, monkeypatch):
    warehouse, target = fake_warehouse(tmp_path)
    monkeypatch.delenv(KEY_ENV, raising=False)
    with pytest.raises(PublishError, match=f"{KEY_ENV} is not set"):
        publish(warehouse, PublishParams(target_path=target))
    with pytest.raises(PublishError, match="too short"):
        publish(warehouse, PublishParams(pseudonym_key="short", target_path=target))
    demo = read_snapshot(publish(warehouse, PublishParams(demo=True, target_path=target)))
    assert set(demo["main.credit_scores"]["customer_id"]) == set(pseudonyms(["101", "102", "103"], DEMO_PSEUDONYM_KEY.encode()))
    assert demo["main._publication"]["is_demo_key"].iloc[0]
    monkeypatch.setenv(KEY_ENV, KEY)  # a key in the environment wins over the demo key
    keyed = read_snapshot(publish(warehouse, PublishParams(demo=True, target_path=target)))
    assert set(keyed["main.credit_scores"]["customer_id"]) == set(pseudonyms(["101", "102", "103"], KEY.encode()))
    raw = read_snapshot(publish(warehouse, PublishParams(customer_ids="raw", target_path=target)))
    assert set(raw["main.credit_scores"]["customer_id"]) == {"101", "102", "103"}
    assert raw["main._publication"]["customer_id_kind"].iloc[0] == "raw"


def test_snapshot_is_replaced_while_a_reader_holds_the_old_one(tmp_path):
    warehouse, target = fake_warehouse(tmp_path / "a", "run-1")
    snapshot = publish(warehouse, PublishParams(pseudonym_key=KEY, target_path=target))
    with duckdb.connect(str(snapshot), read_only=True) as bi_session:
        second, second_target = fake_warehouse(tmp_path / "b", "run-2")
        publish(second, PublishParams(pseudonym_key=KEY, target_path=second_target), snapshot=snapshot)
        assert bi_session.execute("select context_run_id from _publication").fetchall() == [("run-1",)]
    with duckdb.connect(str(snapshot), read_only=True) as reconnected:
        assert reconnected.execute("select context_run_id from _publication").fetchall() == [("run-2",)]


# --- a real build through scripts/build.sh, read while it runs (dbt) ------------------------------

SHOP_CUSTOMERS = 500
# Planted raw ids that cannot be mistaken for anything else: any leak shows as this pattern.
RAW_ID_PATTERN = "K[0-9]{6}X"

READER = """
import json, sys, time
from pathlib import Path
import duckdb
snapshot, stop, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
reads, errors, runs = 0, [], []
while not stop.exists():
    if not snapshot.exists():
        if reads:
            errors.append("the snapshot disappeared")
        time.sleep(0.01)
        continue
    try:
        with duckdb.connect(str(snapshot), read_only=True) as c:
            row = c.execute(
                "select (select list(distinct context_run_id) from purchasing_power_scores),"
                " (select list(distinct context_run_id) from credit_scores),"
                " (select list(distinct context_run_id) from user_features),"
                " (select list(context_run_id) from _publication)").fetchall()[0]
        runs.append(sorted({run for ids in row for run in (ids or [])}))
        reads += 1
    except Exception as exc:
        errors.append(repr(exc))
out.write_text(json.dumps({"reads": reads, "errors": errors, "runs": runs}))
"""


def _planted_id(value) -> str | None:
    return None if pd.isna(value) else f"K{int(value):06d}X"


@pytest.fixture(scope="module")
def published_shop(tmp_path_factory):
    """A small CSV shop with planted ids, built and published by scripts/build.sh (warehouse file
    not ending in .duckdb, the README's CSV command) while another process reads the snapshot in a
    loop; then more publications of two different runs swapped in under the reader."""
    work = tmp_path_factory.mktemp("published_shop")
    generated, raw = work / "generated", work / "raw"
    generate(generated, n_customers=SHOP_CUSTOMERS, seed=11)
    raw.mkdir()
    for file in generated.glob("*.parquet"):
        frame = pd.read_parquet(file)
        if "customer_id" in frame:
            frame["customer_id"] = frame["customer_id"].map(_planted_id)
        frame.to_csv(raw / f"{file.stem}.csv", index=False)
    customers = pd.read_parquet(generated / "customers.parquet")
    customers["customer_id"] = customers["customer_id"].map(_planted_id)

    warehouse = work / "shop.db"
    snapshot = snapshot_path(warehouse)
    fake, fake_target = fake_warehouse(work / "fake", "fake-run")
    publish(fake, PublishParams(pseudonym_key=KEY, target_path=fake_target), snapshot=snapshot)
    stop, reads = work / "stop", work / "reads.json"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(snapshot), str(stop), str(reads)])
    env = {**os.environ, "SHOPPER_SCORES_RAW_DIR": str(raw), "SHOPPER_SCORES_DUCKDB_PATH": str(warehouse),
           "DBT_TARGET_PATH": str(work / "target"), "DBT_LOG_PATH": str(work / "logs"), KEY_ENV: KEY}
    try:
        build = subprocess.run(["bash", "scripts/build.sh", "--vars", "{raw_file_format: csv}"],
                               cwd=PROJECT_DIR, env=env, capture_output=True, text=True)
        assert build.returncode == 0, build.stdout[-6000:] + build.stderr[-3000:]
        real = PublishParams(pseudonym_key=KEY, target_path=work / "target")
        for _ in range(3):  # more swaps between two runs while the reader reads
            publish(fake, PublishParams(pseudonym_key=KEY, target_path=fake_target), snapshot=snapshot)
            publish(warehouse, real)
    finally:
        stop.touch()
        reader.wait(timeout=60)
    return {"work": work, "warehouse": warehouse, "snapshot": snapshot, "raw": raw, "customers": customers,
            "reads": json.loads(reads.read_text()), "build": build, "env": env}


@pytest.mark.dbt
def test_a_reader_never_errors_nor_sees_two_runs_at_once(published_shop):
    reads = published_shop["reads"]
    assert reads["errors"] == []
    assert reads["reads"] > 10
    assert all(len(runs) == 1 for runs in reads["runs"]), [r for r in reads["runs"] if len(r) != 1][:3]
    seen = {runs[0] for runs in reads["runs"]}
    assert "fake-run" in seen and len(seen) == 2, seen


@pytest.mark.dbt
def test_build_script_reads_csv_with_user_vars_and_query_script_finds_the_snapshot(published_shop):
    with duckdb.connect(str(published_shop["warehouse"]), read_only=True) as c:
        accounting = dict(c.execute("select source_table, raw_rows from raw_row_accounting").fetchall())
    assert accounting["customers"] == len(published_shop["customers"])  # read from the CSV files
    assert "BI snapshot published" in published_shop["build"].stdout
    query = subprocess.run(["bash", "scripts/query.sh", "select count(*) as n from purchasing_power_scores"],
                           cwd=PROJECT_DIR, env=published_shop["env"], capture_output=True, text=True)
    assert query.returncode == 0, query.stderr
    with duckdb.connect(str(published_shop["warehouse"]), read_only=True) as c:
        n_scored = c.execute("select count(*) from purchasing_power_scores").fetchall()[0][0]
    assert str(n_scored) in query.stdout and n_scored > 0


def assert_no_raw_ids_nor_personal_data(snapshot: Path, customers: pd.DataFrame, key: str) -> None:
    """Scan every column's name and values of every published table."""
    customers = customers.dropna(subset=["customer_id"]).drop_duplicates("customer_id")
    by_pseudonym = customers.assign(published=pseudonyms(customers["customer_id"].tolist(), key.encode()))
    by_pseudonym = by_pseudonym.set_index("published")
    with duckdb.connect(str(snapshot), read_only=True) as c:
        columns = c.execute("select table_name, column_name, data_type from duckdb_columns() "
                            "where database_name = current_database()").fetchall()
        assert {t for t, _, _ in columns} == set(PUBLISHED) | {"_publication"}
        for table, column, data_type in columns:
            assert column not in {"gender", "birth_year", "birth_date", "date_of_birth", "age_years", "age", "city"}
            leaked = c.execute(f'select count(*) from "{table}" where regexp_matches(cast("{column}" as varchar), '
                               f"'{RAW_ID_PATTERN}')").fetchall()[0][0]
            assert leaked == 0, f"{table}.{column} holds raw customer ids"
            if data_type == "VARCHAR":
                values = {v for (v,) in c.execute(f'select distinct lower(trim("{column}")) from "{table}"').fetchall()}
                assert not values & {"male", "female"}, f"{table}.{column} holds gender values"
        for table in CUSTOMER_MARTS:
            frame = c.sql(f"select * from {table}").df()
            truth = by_pseudonym.reindex(frame["customer_id"])
            assert truth["customer_id"].notna().all(), f"{table}: ids that are not the keyed pseudonyms"
            birth_year = truth["birth_year"].to_numpy()
            gender = truth["gender"].astype("string").str.strip().str.lower().reset_index(drop=True)
            as_of_year = pd.to_datetime(frame["as_of_date"]).dt.year.to_numpy()
            for column in frame.columns:
                values = frame[column]
                if pd.api.types.is_datetime64_any_dtype(values) or column == "as_of_date":
                    numbers = pd.to_datetime(values).dt.year.to_numpy(dtype=float)
                elif pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
                    numbers = values.to_numpy(dtype=float)
                else:
                    # single letters ('F') also name credit grades: a leak is a column that gives
                    # each row its customer's own gender
                    text = values.astype("string").str.strip().str.lower().reset_index(drop=True)
                    known = text.notna() & gender.notna()
                    assert known.sum() == 0 or (text[known] == gender[known]).mean() < 0.5, (
                        f"{table}.{column} matches gender")
                    continue
                known = ~pd.isna(birth_year) & ~pd.isna(numbers)
                if known.sum() == 0:
                    continue
                personal = ((numbers == birth_year) | (numbers == as_of_year - birth_year)
                            | (numbers == as_of_year - birth_year - 1))[known]
                # a leaked birth year or exact age matches (nearly) every row; a count or an amount
                # meets one by chance in a few
                assert personal.mean() < 0.2, f"{table}.{column} matches birth year / exact age"


@pytest.mark.dbt
def test_published_file_holds_no_raw_ids_and_no_personal_data(published_shop, tmp_path, monkeypatch):
    assert_no_raw_ids_nor_personal_data(published_shop["snapshot"], published_shop["customers"], KEY)
    # negative controls: the scan finds raw ids, and an exact age under an innocent name
    params = PublishParams(customer_ids="raw", target_path=published_shop["work"] / "target")
    raw_ids = publish(published_shop["warehouse"], params, snapshot=tmp_path / "raw_ids.duckdb")
    with pytest.raises(AssertionError, match="holds raw customer ids"):
        assert_no_raw_ids_nor_personal_data(raw_ids, published_shop["customers"], KEY)
    monkeypatch.setitem(PUBLISHED, "user_features", "select {customer} as customer_id, "
                        "s.* exclude (customer_id) rename (age_years as segment_number) from source.main.user_features as s")
    params = PublishParams(pseudonym_key=KEY, target_path=published_shop["work"] / "target")
    with_age = publish(published_shop["warehouse"], params, snapshot=tmp_path / "with_age.duckdb")
    with pytest.raises(AssertionError, match="user_features.segment_number matches birth year / exact age"):
        assert_no_raw_ids_nor_personal_data(with_age, published_shop["customers"], KEY)


@pytest.mark.dbt
def test_pseudonyms_are_stable_across_publications_and_change_with_the_key(published_shop):
    work, warehouse = published_shop["work"], published_shop["warehouse"]
    ids = {}
    for name, key in [("first", KEY), ("again", KEY), ("other", OTHER_KEY)]:
        snapshot = publish(warehouse, PublishParams(pseudonym_key=key, target_path=work / "target"),
                           snapshot=work / f"{name}.duckdb")
        with duckdb.connect(str(snapshot), read_only=True) as c:
            ids[name] = c.execute("select customer_id from user_features order by all").fetchall()
    assert ids["first"] == ids["again"] and len(ids["first"]) > 0
    assert not set(ids["first"]) & set(ids["other"])


@pytest.mark.dbt
def test_a_build_stopped_after_the_context_is_caught_by_dbt_and_never_published(published_shop, tmp_path):
    """The state a build killed mid-way leaves: a new scoring context, marts of the previous run."""
    shutil.copy(published_shop["warehouse"], tmp_path / "shop.db")
    warehouse = tmp_path / "shop.db"
    with pytest.raises(Exception) as stopped:
        run_dbt(["build", "--select", "int_scoring_context", "test_name:matches_scoring_context"],
                warehouse=warehouse, raw_dir=published_shop["raw"], work_dir=tmp_path,
                extra_vars={"raw_file_format": "csv"})
    # dbt fails the first mart's test and skips the tests of the marts built on it
    assert "Failure in test matches_scoring_context_user_features_" in str(stopped.value)
    with pytest.raises(PublishError) as refused:
        publish(warehouse, PublishParams(pseudonym_key=KEY, target_path=tmp_path / "target"))
    assert re.search(r"matches_scoring_context_user_features_\.\w+: fail", str(refused.value))
    with duckdb.connect(str(warehouse), read_only=True) as c:
        marts_with_rows = [m for m in CUSTOMER_MARTS if c.execute(f"select count(*) from main.{m}").fetchone()[0]]
    assert {"purchasing_power_scores", "credit_scores", "user_features"} <= set(marts_with_rows)
    for mart in marts_with_rows:  # an empty mart (e.g. no unscored customer) has no stale row to name
        assert f"main.{mart} has" in str(refused.value)
    assert not snapshot_path(warehouse).exists()
