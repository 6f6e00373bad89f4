-- Fails when the scorecard features' mean points shifts (credit_stability) do not add up to the
-- shift of the mean credit score: a score is base points plus its features' points, so the two
-- must agree up to rounding whenever both populations were binned by the published scorecard.
with

stability as (
    select * from {{ ref('credit_stability') }}
),

score as (
    select
        model_version,
        mean_points_shift as score_shift
    from stability
    where characteristic_type = 'score'
),

features as (
    select
        model_version,
        sum(mean_points_shift) as feature_shifts
    from stability
    where characteristic_type = 'feature'
    group by model_version
),

final as (
    select
        score.model_version,
        score.score_shift,
        features.feature_shifts
    from score
    left join features on score.model_version = features.model_version
    where
        features.model_version is null
        or abs(score.score_shift - features.feature_shifts) > 1e-9
)

select * from final
