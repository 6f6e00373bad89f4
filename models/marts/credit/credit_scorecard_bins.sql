-- Every bin of every candidate feature of the champion scorecard (model_version): bounds or
-- categories, rows, bads, event rate, weight of evidence and information value, and the integer
-- points of the bin when the feature is in the scorecard. The binning report a risk team reviews.

with

bins as (
    select * from {{ ref('ml_credit_scorecard_bins') }}
),

final as (
    select
        -- model
        cast(model_name as varchar) as model_name,
        cast(model_version as varchar) as model_version,
        -- bin
        cast(feature_name as varchar) as feature_name,
        cast(feature_type as varchar) as feature_type,
        cast(bin_id as integer) as bin_id,
        cast(bin_label as varchar) as bin_label,
        cast(bin_type as varchar) as bin_type,
        cast(lower_bound as double) as lower_bound,
        cast(upper_bound as double) as upper_bound,
        -- evidence on the fit rows
        cast(n_rows as bigint) as n_rows,
        cast(n_bads as bigint) as n_bads,
        cast(event_rate as double) as event_rate,
        cast(woe as double) as woe,
        cast(iv_contribution as double) as iv_contribution,
        cast(feature_iv as double) as feature_iv,
        -- the model
        cast(coefficient as double) as coefficient,
        cast(points as integer) as points,
        cast(is_in_scorecard as boolean) as is_in_scorecard
    from bins
)

select * from final
