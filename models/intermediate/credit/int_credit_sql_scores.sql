-- Credit score and probability of default of every customer computed in plain SQL from the
-- published scorecard: base points plus the customer's points, PD from credit_score_scale. A
-- data test asserts it equals the Python scorer (ml_credit_scoring) exactly.

{{ credit_scores_from_points(ref('user_features'), ref('int_credit_scorecard_points'), 'customer_id') }}
