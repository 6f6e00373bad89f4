-- Credit score of every account the champion was fitted on, as of its opening, from the published
-- scorecard in plain SQL (base points plus the account's points, as int_credit_sql_scores scores
-- the current customers): the training population of the score's stability index.

with

accounts as (
    select * from {{ ref('int_credit_final_fit_set') }}
),

points as (
    select * from {{ ref('int_credit_final_fit_points') }}
),

scale as (
    select * from {{ ref('credit_score_scale') }}
),

base as (
    select distinct
        model_name,
        model_version,
        base_points
    from scale
),

account_points as (
    select
        credit_account_id,
        sum(points) as scorecard_points
    from points
    group by credit_account_id
),

final as (
    select
        accounts.credit_account_id,
        accounts.customer_id,
        accounts.split,
        accounts.is_default,
        cast(base.base_points + coalesce(account_points.scorecard_points, 0) as integer) as credit_score,
        base.model_name,
        base.model_version
    from accounts
    cross join base
    left join account_points on accounts.credit_account_id = account_points.credit_account_id
)

select * from final
