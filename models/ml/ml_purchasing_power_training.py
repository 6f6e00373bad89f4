"""Fit, choose and test the purchasing-power regressor; keep the refitted champion.

Thin on purpose: the protocol and the models live in shopper_scores.ml.purchasing_power
(unit-tested there). One row per (model, stage) with metrics; the champion's final fit carries its
serialised pipeline in model_blob for ml_purchasing_power_scoring.
"""

from shopper_scores.ml import purchasing_power


def model(dbt, session):
    context = dbt.ref("int_scoring_context").df()
    params = {
        "as_of_date": str(context["as_of_date"].iloc[0]),
        "horizon_days": int(context["horizon_days"].iloc[0]),
        "label_window_days": int(context["label_window_days"].iloc[0]),
        "n_train_windows": int(context["n_train_windows"].iloc[0]),
        "random_seed": int(dbt.config.get("random_seed")),
    }
    training = dbt.ref("int_purchasing_power_training_set").df()
    # INTERIM (until the package scales labels itself): the label rescaled to the horizon
    training["label"] = training.pop("label_window_spend") * params["horizon_days"] * 1.0 / training["label_window_days"]
    training = training.drop(columns=["cutoff_role"])
    return purchasing_power.fit_and_evaluate(training, params).to_frame()
