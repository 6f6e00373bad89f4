-- The SQL scorer applied to every customer's features at as_of_date: one row per (customer,
-- scorecard feature) with the bin and its integer points (macro credit_scorecard_points).

{{ credit_scorecard_points(ref('user_features'), ['customer_id']) }}
