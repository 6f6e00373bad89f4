"""The final credit scorecard's bins as a table (see shopper_scores.ml.credit.scorecard_tables).

Thin on purpose: the table is read from the champion's stored scorecard, so it holds exactly what
ml_credit_scoring computes; the contracted mart on top is credit_scorecard_bins.
"""

from shopper_scores.ml import credit
from shopper_scores.ml.scoring import final_champion


def model(dbt, session):
    log = dbt.ref("ml_credit_training").filter("stage = 'final' and is_champion").df()
    return credit.champion_scorecard_table(final_champion(log, "ml_credit_training"), "bins")
