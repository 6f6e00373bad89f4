-- Where the populations of credit_stability differ: one row per bin of the credit score (its
-- training deciles) and of each scorecard feature (its scorecard bins), with the training
-- population's and today's counts and shares, the bin's term of the PSI and, for a feature, its
-- points and the bin's term of the mean points shift.

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

context as (
    select * from {{ ref('int_scoring_context') }}
),

model as (
    select distinct
        model_name,
        model_version
    from scorecard
),

score_rows as (
    select
        'credit_score' as characteristic,
        bin_index,
        bin_type,
        lower_bound,
        upper_bound,
        cast(null as integer) as scorecard_bin_id,
        case
            when bin_type = 'missing' then '(missing)'
            when upper_bound is null
                then {{ dbt.concat([
                    "'('",
                    "coalesce(cast(cast(lower_bound as integer) as " ~ dbt.type_string() ~ "), '-inf')",
                    "', +inf)'",
                ]) }}
            else {{ dbt.concat([
                "'('",
                "coalesce(cast(cast(lower_bound as integer) as " ~ dbt.type_string() ~ "), '-inf')",
                "', '",
                "cast(cast(upper_bound as integer) as " ~ dbt.type_string() ~ ")",
                "']'",
            ]) }}
        end as bin_label,
        cast(null as integer) as points,
        expected_count,
        actual_count,
        expected_share,
        actual_share,
        psi_contribution,
        cast(null as double) as points_shift
    from score_bins
    -- the no-score bin is shown only when some row has no score
    where bin_type != 'missing' or expected_count + actual_count > 0
),

feature_rows as (
    select
        feature_bins.feature_name as characteristic,
        feature_bins.bin_index,
        feature_bins.bin_type,
        scorecard.lower_bound,
        scorecard.upper_bound,
        scorecard.bin_id as scorecard_bin_id,
        coalesce(scorecard.bin_label, '(no scorecard bin)') as bin_label,
        scorecard.points,
        feature_bins.expected_count,
        feature_bins.actual_count,
        feature_bins.expected_share,
        feature_bins.actual_share,
        feature_bins.psi_contribution,
        (feature_bins.actual_share - feature_bins.expected_share) * coalesce(scorecard.points, 0) as points_shift
    from feature_bins
    left join scorecard
        on
            feature_bins.feature_name = scorecard.feature_name
            and feature_bins.category = cast(scorecard.bin_id as {{ dbt.type_string() }})
    -- the no-bin row is shown only when the scorer left some row without a bin
    where feature_bins.bin_type != 'missing' or feature_bins.expected_count + feature_bins.actual_count > 0
),

bins as (
    select * from score_rows
    union all
    select * from feature_rows
),

final as (
    select
        cast(model.model_name as {{ dbt.type_string() }}) as model_name,
        cast(model.model_version as {{ dbt.type_string() }}) as model_version,
        context.as_of_date,
        cast(bins.characteristic as {{ dbt.type_string() }}) as characteristic,
        cast(bins.bin_index as integer) as bin_index,
        cast(bins.bin_type as {{ dbt.type_string() }}) as bin_type,
        cast(bins.bin_label as {{ dbt.type_string() }}) as bin_label,
        cast(bins.lower_bound as double) as lower_bound,
        cast(bins.upper_bound as double) as upper_bound,
        cast(bins.scorecard_bin_id as integer) as scorecard_bin_id,
        cast(bins.points as integer) as points,
        cast(bins.expected_count as bigint) as expected_count,
        cast(bins.actual_count as bigint) as actual_count,
        cast(bins.expected_share as double) as expected_share,
        cast(bins.actual_share as double) as actual_share,
        cast(bins.psi_contribution as double) as psi_contribution,
        cast(bins.points_shift as double) as points_shift
    from bins
    cross join model
    cross join context
)

select * from final
