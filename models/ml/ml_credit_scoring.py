"""Probability of default, score and reason codes for every customer at as_of_date.

The score scale is the one stored in the champion scorecard (fixed when it was fitted), never a
var read here: a credit_score always matches the model_version it came from.
"""

import pandas as pd

from shopper_scores.ml import credit
from shopper_scores.ml.scoring import score_in_batches


def model(dbt, session):
    champion = dbt.ref("ml_credit_training").filter("stage = 'final' and is_champion").df()
    if len(champion) == 0:
        # No credit model (e.g. a shop without instalment credit): no scores.
        # ml_credit_training's note, carried into model_metrics, says why.
        scores = credit.empty_scores()
        scores["model_name"] = pd.Series(dtype="string")
        scores["model_version"] = pd.Series(dtype="string")
        return scores
    if len(champion) > 1:
        raise ValueError("ml_credit_training holds more than one final champion row")
    blob = champion["model_blob"].iloc[0]
    batch_size = int(dbt.config.get("scoring_batch_rows"))
    return score_in_batches(
        dbt.ref("user_features").to_arrow_reader(batch_size),
        lambda features: credit.score(blob, features),
        champion.iloc[0],
    )
