"""Fit the credit scorecard (champion) and its gradient-boosted challenger on matured accounts.

Thin on purpose: binning, WOE, calibration and the out-of-time protocol live in
shopper_scores.ml.credit (unit-tested there). The parameters are built once, as a typed
CreditParams, from the scoring context (as_of_date) and this model's config.
"""

from shopper_scores.ml import credit


def model(dbt, session):
    context = dbt.ref("int_scoring_context").df()
    # dbt registers only config.get calls written plainly like these (see README "Stack").
    random_seed = dbt.config.get("random_seed")
    # The project's one exclusion policy (var decision_excluded_features), shared with purchasing power.
    excluded_features = dbt.config.get("decision_excluded_features")
    base_score = dbt.config.get("credit_base_score")
    base_odds = dbt.config.get("credit_base_odds")
    points_to_double_odds = dbt.config.get("credit_points_to_double_odds")
    params = credit.CreditParams.from_dbt(
        context,
        random_seed=random_seed,
        excluded_features=excluded_features,
        base_score=base_score,
        base_odds=base_odds,
        points_to_double_odds=points_to_double_odds,
    )
    training = dbt.ref("int_credit_training_set").df()
    return credit.fit_and_evaluate(training, params).to_frame()
