"""Fit the credit scorecard (champion) and its gradient-boosted challenger on matured accounts.

Thin on purpose: binning, WOE, calibration and the out-of-time protocol live in
shopper_scores.ml.credit (unit-tested there).
"""

from shopper_scores.ml import credit


def model(dbt, session):
    context = dbt.ref("int_scoring_context").df()
    params = {
        "as_of_date": str(context["as_of_date"].iloc[0]),
        "base_score": float(dbt.config.get("credit_base_score")),
        "base_odds": float(dbt.config.get("credit_base_odds")),
        "points_to_double_odds": float(dbt.config.get("credit_points_to_double_odds")),
        "random_seed": int(dbt.config.get("random_seed")),
        # dbt registers only config.get calls written plainly like these (see README "Stack").
        "excluded_features": dbt.config.get("credit_excluded_features"),
    }
    training = dbt.ref("int_credit_training_set").df()
    return credit.fit_and_evaluate(training, params).to_frame()
