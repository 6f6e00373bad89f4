-- The credit score's population stability, bin by bin: the champion's fit accounts at opening
-- (int_credit_final_fit_scores, the training population, which defines the bins: its score
-- deciles, ties merged) against every customer scored at as_of_date (credit_scores), with a bin
-- for missing scores and empty bins floored (macro population_stability).

{{ population_stability(
    expected=ref('int_credit_final_fit_scores'),
    actual=ref('credit_scores'),
    value_column='credit_score',
    binning='deciles',
    n_bins=10,
    share_floor=var('credit_psi_share_floor'),
) }}
