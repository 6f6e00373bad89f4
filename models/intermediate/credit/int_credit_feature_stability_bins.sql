-- Each scorecard feature's population stability over its scorecard bins: the champion's fit
-- accounts at opening (int_credit_final_fit_points, the training population) against the
-- customers scored at as_of_date (int_credit_scorecard_points), bin by bin (macro
-- population_stability; category = the scorecard bin_id as text). A bin the fit accounts never
-- fell in gets the floored share.

{{ population_stability(
    expected=ref('int_credit_final_fit_points'),
    actual=ref('int_credit_scorecard_points'),
    value_column='bin_id',
    group_columns=['feature_name'],
    binning='categories',
    share_floor=var('credit_psi_share_floor'),
) }}
