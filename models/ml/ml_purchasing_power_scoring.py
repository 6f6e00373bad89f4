"""Score every customer at as_of_date with the purchasing-power champion.

One row per customer: the predicted spend, the BTYD decomposition (expected orders, P(alive),
expected order value), the 80 % prediction interval and the top drivers as text
(``purchasing_power.scoring.SCORE_COLUMNS``; a part the champion does not carry is null), then
the champion's name and version. Features are streamed in Arrow batches so memory stays bounded
with many customers; every row's values depend on that row alone, so the batch size changes
nothing.
"""

from shopper_scores.ml import purchasing_power
from shopper_scores.ml.scoring import final_champion, score_in_batches


def model(dbt, session):
    log = dbt.ref("ml_purchasing_power_training").filter("stage = 'final' and is_champion").df()
    champion = final_champion(log, "ml_purchasing_power_training")
    if champion is None:
        raise ValueError(
            "ml_purchasing_power_training holds no final champion row: "
            "see its note column for why training could not run."
        )
    batch_size = int(dbt.config.get("scoring_batch_rows"))
    return score_in_batches(
        dbt.ref("user_features").to_arrow_reader(batch_size),
        lambda features: purchasing_power.score(champion["model_blob"], features),
        champion,
    )
