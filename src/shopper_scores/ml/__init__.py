"""Machine-learning logic behind the shopper_scores dbt Python models.

Modules
-------
* :mod:`~shopper_scores.ml.metrics` -- regression and classification metrics.
* :mod:`~shopper_scores.ml.versioning` -- content-addressed model versions.
* :mod:`~shopper_scores.ml.features` -- generic feature selection and frame preparation.
* :mod:`~shopper_scores.ml.purchasing_power` -- future-spend regressor (fit, evaluate, score).
* :mod:`~shopper_scores.ml.credit` -- probability-of-default scorecard (fit, evaluate, score).
* :mod:`~shopper_scores.ml.training_log` -- the per-(model, stage) training log both return.
* :mod:`~shopper_scores.ml.scoring` -- batch scoring used by the dbt scoring models.

The protected attribute ``gender`` is never used as a feature by any model in
this package; it is kept in the data for fairness monitoring only.
"""

# dbt runs Python models on several threads of one process. scikit-learn's import graph is
# circular, and two threads importing it for the first time at once can see a partially
# initialised module ("cannot import name 'clone' from partially initialized module
# 'sklearn.base'"). Importing everything the submodules need here, under this package's own
# import lock, finishes the import in one thread before any other thread gets past this package.
import scipy.stats  # noqa: E402,F401
import sklearn.compose  # noqa: E402,F401
import sklearn.dummy  # noqa: E402,F401
import sklearn.ensemble  # noqa: E402,F401
import sklearn.impute  # noqa: E402,F401
import sklearn.linear_model  # noqa: E402,F401
import sklearn.pipeline  # noqa: E402,F401
import sklearn.preprocessing  # noqa: E402,F401
