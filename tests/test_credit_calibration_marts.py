"""The credit calibration, grade and cut-off marts on the demo build: the test cohort is scored by
the test stage's scorecard, the Hosmer-Lemeshow statistic of credit_calibration is model_metrics',
every customer falls in exactly one master-scale grade whose score band holds their score, and the
cut-off table adds up."""

from __future__ import annotations

import numpy as np
import pytest

from shopper_scores.ml import credit

from .conftest import query

pytestmark = pytest.mark.dbt


def test_test_cohort_is_scored_by_the_test_stage_scorecard(built_warehouse):
    predictions = query(built_warehouse, "select * from ml.ml_credit_test_predictions")
    cohort = query(built_warehouse, "select * from intermediate.int_credit_training_set where split = 'test'")
    assert len(predictions) == len(cohort) > 100
    assert set(predictions.credit_account_id) == set(cohort.credit_account_id)
    stage = query(built_warehouse, "select * from ml.ml_credit_training where stage = 'test' and is_champion")
    assert len(stage) == 1 and predictions.model_version.eq(stage.model_version.iloc[0]).all()
    merged = cohort.merge(predictions[["credit_account_id", "probability_of_default", "credit_score"]],
                          on="credit_account_id")
    again = credit.score(stage.model_blob.iloc[0], merged)
    np.testing.assert_array_equal(again.probability_of_default, merged.probability_of_default)
    np.testing.assert_array_equal(again.credit_score, merged.credit_score)
    # Only the champion's test and final rows carry a scorecard.
    blobs = query(built_warehouse, "select stage from ml.ml_credit_training where model_blob is not null")
    assert sorted(blobs.stage) == ["final", "test"]


def test_credit_calibration_carries_model_metrics_hosmer_lemeshow(built_warehouse):
    table = query(built_warehouse, "select * from main.credit_calibration order by score_decile")
    assert table.score_decile.is_unique and table.score_decile.between(1, 10).all()
    n_test = query(built_warehouse, "select count(*) as n from ml.ml_credit_test_predictions").n.iloc[0]
    assert table.n_accounts.sum() == n_test
    assert (table.min_credit_score.to_numpy()[1:] > table.max_credit_score.to_numpy()[:-1]).all()
    assert table.hosmer_lemeshow_statistic.nunique() == 1
    np.testing.assert_allclose(table.hosmer_lemeshow_term.sum(), table.hosmer_lemeshow_statistic.iloc[0])
    metrics = query(built_warehouse, """
        select metric_name, metric_value from main.model_metrics
        where model_family = 'credit' and split = 'test' and is_champion
    """).set_index("metric_name").metric_value
    assert metrics["hosmer_lemeshow"] == pytest.approx(table.hosmer_lemeshow_statistic.iloc[0])
    assert metrics["hosmer_lemeshow_df"] == table.hosmer_lemeshow_df.iloc[0] == len(table)
    assert metrics["hosmer_lemeshow_p_value"] == pytest.approx(table.hosmer_lemeshow_p_value.iloc[0])
    scale_method = query(built_warehouse, "select distinct calibration_method from main.credit_score_scale")
    assert table.calibration_method.iloc[0] == scale_method.calibration_method.iloc[0]  # final reuses the choice


def test_every_customer_has_one_master_scale_grade(built_warehouse):
    grades = query(built_warehouse, "select * from reference.credit_grades order by min_pd")
    scores = query(built_warehouse, "select * from main.credit_scores")
    index = np.searchsorted(grades.max_pd_exclusive.to_numpy(), scores.probability_of_default, side="right")
    np.testing.assert_array_equal(grades.grade.to_numpy()[index], scores.credit_grade)
    summary = query(built_warehouse, "select * from main.credit_grade_summary order by min_pd")
    assert summary.grade.tolist() == grades.grade.tolist()
    assert summary.n_customers.sum() == len(scores)
    assert summary.share_of_customers.sum() == pytest.approx(1.0)
    # A grade's score band holds exactly its customers' scores, and the bands do not overlap.
    for band in summary[summary.n_customers > 0].itertuples():
        in_grade = scores[scores.credit_grade == band.grade]
        assert in_grade.credit_score.between(band.min_credit_score, band.max_credit_score).all()
        assert band.min_pd <= band.expected_default_rate < band.max_pd_exclusive
    used = summary.dropna(subset=["min_credit_score"])
    assert (used.min_credit_score.to_numpy()[:-1] > used.max_credit_score.to_numpy()[1:]).all()
    n_test = query(built_warehouse, "select count(*) as n from ml.ml_credit_test_predictions").n.iloc[0]
    assert summary.n_test_accounts.sum() == n_test


def test_cut_off_table_adds_up(built_warehouse):
    table = query(built_warehouse, "select * from main.credit_cutoff_tradeoffs order by cut_off_score")
    scale = query(built_warehouse, "select * from main.credit_score_scale order by credit_score")
    assert table.cut_off_score.tolist() == scale.credit_score.tolist()
    scores = query(built_warehouse, "select credit_score, probability_of_default from main.credit_scores")
    assert table.n_approved.iloc[0] == len(scores) and table.approval_rate.iloc[0] == 1.0
    for cut in table.iloc[:: max(1, len(table) // 7)].itertuples():
        approved = scores[scores.credit_score >= cut.cut_off_score]
        assert cut.n_approved == len(approved)
        if len(approved):
            assert cut.expected_bad_rate == pytest.approx(approved.probability_of_default.mean())
    assert (np.diff(table.approval_rate) <= 0).all() and (np.diff(table.expected_loss) <= 1e-9).all()
    assert (table.expected_loss <= table.approved_exposure * table.loss_given_default + 1e-9).all()
    assert table.approved_exposure.iloc[0] > 0
