"""Probability of default, score and reason codes for every customer at as_of_date.

The score scale is the one stored in the champion scorecard (fixed when it was fitted), never a
var read here: a credit_score always matches the model_version it came from.
"""

import pandas as pd

from shopper_scores.ml import credit
from shopper_scores.ml.scoring import final_champion, score_in_batches


def model(dbt, session):
    log = dbt.ref("ml_credit_training").filter("stage = 'final' and is_champion").df()
    champion = final_champion(log, "ml_credit_training")
    if champion is None:
        # No credit model (e.g. a shop without instalment credit): no scores.
        # ml_credit_training's note, carried into model_metrics, says why.
        scores = credit.empty_scores()
        scores["model_name"] = pd.Series(dtype="string")
        scores["model_version"] = pd.Series(dtype="string")
        return scores
    batch_size = int(dbt.config.get("scoring_batch_rows"))
    return score_in_batches(
        dbt.ref("user_features").to_arrow_reader(batch_size),
        lambda features: credit.score(champion["model_blob"], features),
        champion,
    )
