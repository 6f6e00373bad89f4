-- Every integer credit score the champion scorecard can give and its probability of default:
-- the one score-to-PD mapping (Python scoring reads the same one), with the base points, the
-- score scale it was fitted with and the calibration method that maps the score to PD.

with

scale as (
    select * from {{ ref('ml_credit_score_scale') }}
),

final as (
    select
        cast(model_name as varchar) as model_name,
        cast(model_version as varchar) as model_version,
        cast(credit_score as integer) as credit_score,
        cast(probability_of_default as double) as probability_of_default,
        cast(base_points as integer) as base_points,
        cast(base_score as double) as base_score,
        cast(base_odds as double) as base_odds,
        cast(points_to_double_odds as double) as points_to_double_odds,
        cast(calibration_method as varchar) as calibration_method
    from scale
)

select * from final
