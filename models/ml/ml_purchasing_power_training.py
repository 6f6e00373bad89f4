"""Fit, choose and test the purchasing-power regressor; keep the refitted champion.

Thin on purpose: the parameters (the exclusion policy among them), the label's scaling, the stage
plan and the models live in shopper_scores.ml.purchasing_power (unit-tested there). One row per (model, stage) with metrics;
the champion's final fit carries its serialised model in model_blob for
ml_purchasing_power_scoring.
"""

from shopper_scores.ml import purchasing_power


def model(dbt, session):
    # dbt registers only config.get calls written plainly as statements like these.
    random_seed = dbt.config.get("random_seed")
    # The project's one exclusion policy (var decision_excluded_features): the predicted spend sizes
    # credit offers, so it uses none of the attributes the credit model may not use.
    excluded_features = dbt.config.get("decision_excluded_features")
    params = purchasing_power.PurchasingPowerParams.from_dbt(
        dbt.ref("int_scoring_context").df(), random_seed=random_seed, excluded_features=excluded_features,
    )
    training = dbt.ref("int_purchasing_power_training_set").df()
    cutoffs = dbt.ref("int_feature_cutoffs").df()
    # int_scoring_context's check stops empty inputs first; this guard keeps a partial run honest.
    if cutoffs.empty or training.empty:
        raise ValueError(
            f"shopper_scores: nothing to train purchasing power on (int_feature_cutoffs: {len(cutoffs)} rows, "
            f"int_purchasing_power_training_set: {len(training)} rows); "
            "`dbt build --select +int_scoring_context` says which raw rows were rejected and why"
        )
    return purchasing_power.fit_and_evaluate(training, params, cutoffs).to_frame()
