-- The SQL scorer applied to the champion's fit accounts at their opening: one row per (account,
-- scorecard feature) with the bin and its integer points (macro credit_scorecard_points), the
-- training population's side of credit_stability.

{{ credit_scorecard_points(ref('int_credit_final_fit_set'), ['credit_account_id']) }}
