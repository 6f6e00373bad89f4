-- Calibration of the champion scorecard on the out-of-time test cohort: predicted vs observed
-- default rate by score decile, with the Hosmer-Lemeshow statistic (computed in the package,
-- shopper_scores.ml.credit.calibration_table, by the dbt Python model ml_credit_calibration: the
-- chi-square p-value needs scipy).

with

calibration as (
    select * from {{ ref('ml_credit_calibration') }}
),

final as (
    select
        -- model
        cast(model_name as varchar) as model_name,
        cast(model_version as varchar) as model_version,
        cast(calibration_method as varchar) as calibration_method,
        cast(first_feature_date as date) as first_feature_date,
        cast(last_feature_date as date) as last_feature_date,
        -- decile
        cast(score_decile as integer) as score_decile,
        cast(min_credit_score as integer) as min_credit_score,
        cast(max_credit_score as integer) as max_credit_score,
        cast(n_accounts as bigint) as n_accounts,
        cast(n_defaults as bigint) as n_defaults,
        cast(observed_default_rate as double) as observed_default_rate,
        cast(expected_defaults as double) as expected_defaults,
        cast(predicted_default_rate as double) as predicted_default_rate,
        cast(observed_default_rate - predicted_default_rate as double) as calibration_gap,
        cast({{ nan_to_null('hosmer_lemeshow_term') }} as double) as hosmer_lemeshow_term,
        -- the cohort's statistic (the same on every row)
        cast({{ nan_to_null('hosmer_lemeshow_statistic') }} as double) as hosmer_lemeshow_statistic,
        cast(hosmer_lemeshow_df as integer) as hosmer_lemeshow_df,
        cast({{ nan_to_null('hosmer_lemeshow_p_value') }} as double) as hosmer_lemeshow_p_value
    from calibration
)

select * from final
