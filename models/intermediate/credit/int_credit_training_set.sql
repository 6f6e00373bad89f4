-- Matured credit accounts (performance window ended by as_of_date) with features as of their
-- opening date and their default outcome, split out of time by opening date: the latest
-- var('credit_cohort_days') of openings are the test cohort, the cohort before it validation, the
-- rest train. A split larger than var('training_sample_rows') is a uniform sample of that many
-- accounts (md5 draws, macros/sampling.sql), so credit training's memory stays bounded: a uniform
-- sample keeps the default rate and needs no weights; split_rows is the split's size before it.
with

context as (
    select * from {{ ref('int_scoring_context') }}
),

outcomes as (
    select * from {{ ref('int_credit_accounts_outcomes') }}
),

features as (
    select * from {{ ref('int_user_features_point_in_time') }}
),

matured as (
    select outcomes.*
    from outcomes
    cross join context
    where outcomes.performance_end_date <= context.as_of_date
),

latest as (
    select max(opened_date) as latest_matured_opening from matured
),

split as (
    select
        matured.*,
        case
            when
                matured.opened_date
                > {{ dbt.dateadd('day', '-1 * context.credit_cohort_days', 'latest.latest_matured_opening') }}
                then 'test'
            when
                matured.opened_date
                > {{ dbt.dateadd('day', '-2 * context.credit_cohort_days', 'latest.latest_matured_opening') }}
                then 'validation'
            else 'train'
        end as split
    from matured
    cross join latest
    cross join context
),

split_sizes as (
    select
        split,
        count(*) as split_rows
    from split
    group by split
),

sampled as (
    select
        split.*,
        split_sizes.split_rows
    from split
    inner join split_sizes on split.split = split_sizes.split
    -- a split within the cap is kept whole (every draw is < 1)
    where
        {{ hash_uniform(sample_key(['split.credit_account_id'])) }}
        < cast({{ var('training_sample_rows') }} as double) / split_sizes.split_rows
),

final as (
    select
        sampled.credit_account_id,
        sampled.split,
        sampled.split_rows,
        sampled.is_default,
        features.*
    from sampled
    inner join features
        on
            sampled.customer_id = features.customer_id
            and sampled.opened_date = features.feature_date
)

select * from final
