"""Fit, choose and test the purchasing-power regressor; keep the refitted champion.

Thin on purpose: the protocol and the models live in shopper_scores.ml.purchasing_power
(unit-tested there). One row per (model, stage) with metrics; the champion's final fit carries its
serialised pipeline in model_blob for ml_purchasing_power_scoring.
"""

from shopper_scores.ml import purchasing_power


def model(dbt, session):
    cutoffs = dbt.ref("int_feature_cutoffs").df()
    params = {
        "as_of_date": str(cutoffs["as_of_date"].iloc[0]),
        "horizon_days": int(dbt.config.get("horizon_days")),
        "label_window_days": int(cutoffs["label_window_days"].iloc[0]),
        "n_train_windows": int(dbt.config.get("n_train_windows")),
        "random_seed": int(dbt.config.get("random_seed")),
    }
    training = dbt.ref("int_purchasing_power_training_set").df()
    return purchasing_power.fit_and_evaluate(training, params).to_frame()
