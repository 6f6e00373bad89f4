-- Credit score of every account the champion was fitted on, as of its opening, from the published
-- scorecard in plain SQL (base points plus the account's points, as int_credit_sql_scores scores
-- the current customers): the training population of the score's stability index.

{{ credit_scores_from_points(
    ref('int_credit_final_fit_set'), ref('int_credit_final_fit_points'), 'credit_account_id',
    ['customer_id', 'split', 'is_default']
) }}
