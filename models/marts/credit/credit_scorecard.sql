-- The deployable scorecard: the integer points of every bin of every feature the champion uses,
-- with the base points and the score scale. credit_score = base_points + the points of the
-- customer's bin of each feature; the macro credit_scorecard_points applies it in plain SQL.

with

bins as (
    select * from {{ ref('credit_scorecard_bins') }}
),

scale as (
    select * from {{ ref('credit_score_scale') }}
),

scaling as (
    select distinct
        model_version,
        base_points,
        base_score,
        base_odds,
        points_to_double_odds
    from scale
),

final as (
    select
        -- model
        bins.model_name,
        bins.model_version,
        -- bin
        bins.feature_name,
        bins.feature_type,
        bins.bin_id,
        bins.bin_label,
        bins.bin_type,
        bins.lower_bound,
        bins.upper_bound,
        bins.points,
        -- scale
        scaling.base_points,
        scaling.base_score,
        scaling.base_odds,
        scaling.points_to_double_odds
    from bins
    inner join scaling on bins.model_version = scaling.model_version
    where bins.is_in_scorecard
)

select * from final
