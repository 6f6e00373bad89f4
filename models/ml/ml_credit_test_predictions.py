"""The out-of-time test cohort scored by the champion scorecard of the training log's 'test' stage
(fitted on train, calibrated on validation: the test cohort played no part in it).

Thin on purpose: scoring is shopper_scores.ml.credit.score_cohort (unit-tested there). Read by
ml_credit_calibration and the credit_grade_summary / credit_cutoff_tradeoffs marts for the
observed default rates.
"""

from shopper_scores.ml import credit


def model(dbt, session):
    log = dbt.ref("ml_credit_training").filter("stage = 'test' and is_champion and model_blob is not null").df()
    if len(log) > 1:
        raise ValueError("ml_credit_training holds more than one champion row of stage 'test'")
    champion = log.iloc[0] if len(log) else None  # none: no test cohort, or no model
    cohort = dbt.ref("int_credit_training_set").filter("split = 'test'").df()
    return credit.score_cohort(champion, cohort)
