"""Predicted vs observed default rate by score decile of the out-of-time test cohort, with the
Hosmer-Lemeshow statistic, its degrees of freedom and chi-square p-value (scipy).

Thin on purpose: the table is shopper_scores.ml.credit.calibration_table (unit-tested there); the
contracted mart on top is credit_calibration.
"""

from shopper_scores.ml import credit


def model(dbt, session):
    predictions = dbt.ref("ml_credit_test_predictions").df()
    return credit.calibration_table(predictions)
