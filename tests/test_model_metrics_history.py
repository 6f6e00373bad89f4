"""model_metrics keeps the quality history of every run in long form, and migrates the wide table
of earlier versions instead of dropping it."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from .conftest import query, run_dbt

pytestmark = pytest.mark.dbt


def test_model_metrics_keep_history_across_runs(tmp_path, demo_raw):
    warehouse = tmp_path / "history.duckdb"
    # build, not run: model_metrics reads the seed model_metric_definitions; data tests run elsewhere
    models = ["--select", "+model_metrics_wide", "--exclude", "resource_type:test", "resource_type:unit_test"]
    run_dbt(["build", *models], warehouse=warehouse, raw_dir=demo_raw, work_dir=tmp_path)
    first = query(warehouse, "select count(*) as n from main.model_metrics")["n"].iloc[0]
    # The same training logs again (a rebuild gives the same versions: see the test above): rows
    # replaced, not duplicated.
    run_dbt(["run", "--select", "model_metrics"], warehouse=warehouse, raw_dir=demo_raw, work_dir=tmp_path)
    assert query(warehouse, "select count(*) as n from main.model_metrics")["n"].iloc[0] == first
    # A new scoring date adds rows and keeps the old ones.
    run_dbt(["build", *models], warehouse=warehouse, raw_dir=demo_raw, work_dir=tmp_path,
            extra_vars={"as_of_date": "2025-11-30"})
    dates = query(warehouse, "select as_of_date, count(*) as n from main.model_metrics group by as_of_date")
    assert len(dates) == 2
    assert dates["n"].sum() > first

    # Long form: one row per metric, undefined metrics null (never NaN).
    metrics = query(warehouse, "select * from main.model_metrics")
    assert not metrics.duplicated(["model_name", "model_version", "as_of_date", "split", "metric_name"]).any()
    assert not query(warehouse, "select * from main.model_metrics where isnan(metric_value)").shape[0]
    assert metrics.loc[metrics["split"] == "final", "metric_value"].isna().all()

    # A wide table of the earlier layout is migrated, not dropped: put one in place (the current
    # history pivoted, plus a row of a version no run will produce again) and build once more.
    # (the earlier layout ends at note: metrics added since, such as total_ratio, are not in it)
    wide = query(warehouse, "select * exclude (total_ratio, interval_coverage, hosmer_lemeshow, hosmer_lemeshow_df, "
                            "hosmer_lemeshow_p_value) from main.model_metrics_wide")
    old_row = wide[(wide["split"] == "test") & (wide["model_family"] == "purchasing_power")].head(1).copy()
    old_row["model_version"] = "0123456789abcdef"
    old_row["rmse"] = 123.25
    legacy = pd.concat([wide, old_row], ignore_index=True)
    with duckdb.connect(str(warehouse)) as connection:
        connection.register("legacy_frame", legacy)
        connection.execute("drop table main.model_metrics")
        connection.execute("create table main.model_metrics as select * from legacy_frame")
    # A run that does not select model_metrics leaves the wide table where it is.
    run_dbt(["run", "--select", "int_scoring_context"], warehouse=warehouse, raw_dir=demo_raw, work_dir=tmp_path)
    assert "metric_name" not in query(warehouse, "select * from main.model_metrics limit 0").columns
    run_dbt(["run", "--select", "model_metrics", "model_metrics_wide"], warehouse=warehouse,
            raw_dir=demo_raw, work_dir=tmp_path)
    migrated = query(warehouse, "select * from main.model_metrics")
    assert "metric_name" in migrated.columns
    assert len(migrated) == len(metrics) + len(query(
        warehouse, "select * from reference.model_metric_definitions where model_family = 'purchasing_power'"))
    kept = migrated[(migrated["model_version"] == "0123456789abcdef") & (migrated["metric_name"] == "rmse")]
    assert kept["metric_value"].tolist() == [123.25]
    assert len(query(warehouse, "select * from main.model_metrics_wide_legacy")) == len(legacy)
