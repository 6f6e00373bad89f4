-- Matured credit accounts (performance window ended by as_of_date) with features as of their
-- opening date and their default outcome, split out of time by opening date: the latest
-- var('credit_cohort_days') of openings are the test cohort, the cohort before it validation, the
-- rest train.
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

final as (
    select
        split.credit_account_id,
        split.split,
        split.is_default,
        features.*
    from split
    inner join features
        on
            split.customer_id = features.customer_id
            and split.opened_date = features.feature_date
)

select * from final
