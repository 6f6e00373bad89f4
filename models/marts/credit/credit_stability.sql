-- Is the champion scorecard still scoring the kind of population it learnt from? One row per
-- characteristic: the credit score and each scorecard feature, comparing the final model's fit
-- accounts at opening (the training population) with every customer scored at as_of_date.
-- psi: population stability index over the score's training deciles (credit_score) or over the
-- feature's scorecard bins (int_credit_*_stability_bins, macro population_stability).
-- mean_points_shift: the points-weighted characteristic stability index, sum over bins of
-- (actual share - expected share) x points, i.e. how many points the feature's shift moves the
-- mean score; for credit_score the shift of the mean score itself, which the features' shifts
-- add up to.

with

score_bins as (
    select * from {{ ref('int_credit_score_stability_bins') }}
),

feature_bins as (
    select * from {{ ref('int_credit_feature_stability_bins') }}
),

scorecard as (
    select * from {{ ref('credit_scorecard') }}
),

fit_scores as (
    select * from {{ ref('int_credit_final_fit_scores') }}
),

current_scores as (
    select * from {{ ref('credit_scores') }}
),

context as (
    select * from {{ ref('int_scoring_context') }}
),

model as (
    select distinct
        model_name,
        model_version
    from scorecard
),

expected_score as (
    select
        count(*) as expected_rows,
        avg(cast(credit_score as double)) as expected_mean_points
    from fit_scores
),

actual_score as (
    select
        count(*) as actual_rows,
        avg(cast(credit_score as double)) as actual_mean_points
    from current_scores
),

score_psi as (
    select
        sum(case when expected_count + actual_count > 0 then 1 else 0 end) as n_bins,
        max(psi) as psi
    from score_bins
),

score_row as (
    select
        'credit_score' as characteristic,
        'score' as characteristic_type,
        'training score deciles' as binning,
        score_psi.n_bins,
        expected_score.expected_rows,
        actual_score.actual_rows,
        score_psi.psi,
        expected_score.expected_mean_points,
        actual_score.actual_mean_points,
        actual_score.actual_mean_points - expected_score.expected_mean_points as mean_points_shift
    from score_psi
    cross join expected_score
    cross join actual_score
),

feature_points as (
    select
        feature_bins.*,
        -- a row without a scorecard bin scores no points (as the scorer sums them)
        coalesce(scorecard.points, 0) as points
    from feature_bins
    left join scorecard
        on
            feature_bins.feature_name = scorecard.feature_name
            and feature_bins.category = cast(scorecard.bin_id as {{ dbt.type_string() }})
),

feature_rows as (
    select
        feature_name as characteristic,
        'feature' as characteristic_type,
        'scorecard bins' as binning,
        sum(case when expected_count + actual_count > 0 then 1 else 0 end) as n_bins,
        sum(expected_count) as expected_rows,
        sum(actual_count) as actual_rows,
        max(psi) as psi,
        sum(expected_share * points) as expected_mean_points,
        sum(actual_share * points) as actual_mean_points,
        sum((actual_share - expected_share) * points) as mean_points_shift
    from feature_points
    group by feature_name
),

characteristics as (
    select * from score_row
    union all
    select * from feature_rows
),

final as (
    select
        cast(model.model_name as {{ dbt.type_string() }}) as model_name,
        cast(model.model_version as {{ dbt.type_string() }}) as model_version,
        context.as_of_date,
        cast(characteristics.characteristic as {{ dbt.type_string() }}) as characteristic,
        cast(characteristics.characteristic_type as {{ dbt.type_string() }}) as characteristic_type,
        cast(characteristics.binning as {{ dbt.type_string() }}) as binning,
        cast(characteristics.n_bins as integer) as n_bins,
        cast(characteristics.expected_rows as bigint) as expected_rows,
        cast(characteristics.actual_rows as bigint) as actual_rows,
        cast(characteristics.psi as double) as psi,
        cast(
            case
                when characteristics.psi > {{ var('credit_psi_error') }} then 'significant_shift'
                when characteristics.psi > {{ var('credit_psi_warn') }} then 'moderate_shift'
                when characteristics.psi is not null then 'stable'
            end as {{ dbt.type_string() }}
        ) as stability_status,
        cast(characteristics.expected_mean_points as double) as expected_mean_points,
        cast(characteristics.actual_mean_points as double) as actual_mean_points,
        cast(characteristics.mean_points_shift as double) as mean_points_shift,
        cast({{ var('credit_psi_warn') }} as double) as psi_warn_threshold,
        cast({{ var('credit_psi_error') }} as double) as psi_error_threshold
    from characteristics
    cross join model
    cross join context
)

select * from final
