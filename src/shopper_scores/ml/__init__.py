"""Machine-learning logic behind the shopper_scores dbt Python models.

Modules
-------
* :mod:`~shopper_scores.ml.metrics` -- regression and classification metrics.
* :mod:`~shopper_scores.ml.versioning` -- content-addressed model versions.
* :mod:`~shopper_scores.ml.features` -- generic feature selection and frame preparation.
* :mod:`~shopper_scores.ml.purchasing_power` -- future-spend regressor (fit, evaluate, score).
* :mod:`~shopper_scores.ml.credit` -- probability-of-default scorecard (fit, evaluate, score).

The protected attribute ``gender`` is never used as a feature by any model in
this package; it is kept in the data for fairness monitoring only.
"""
