-- Credit score and probability of default of every customer computed in plain SQL from the
-- published scorecard: base points plus the customer's points, PD from credit_score_scale. A
-- data test asserts it equals the Python scorer (ml_credit_scoring) exactly.

with

customers as (
    select customer_id from {{ ref('user_features') }}
),

points as (
    select * from {{ ref('int_credit_scorecard_points') }}
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

customer_points as (
    select
        customer_id,
        sum(points) as scorecard_points
    from points
    group by customer_id
),

scored as (
    select
        customers.customer_id,
        base.model_name,
        base.model_version,
        base.base_points + coalesce(customer_points.scorecard_points, 0) as credit_score
    from customers
    cross join base
    left join customer_points on customers.customer_id = customer_points.customer_id
),

final as (
    select
        scored.customer_id,
        cast(scored.credit_score as integer) as credit_score,
        scale.probability_of_default,
        scored.model_name,
        scored.model_version
    from scored
    left join scale
        on
            scored.model_version = scale.model_version
            and scored.credit_score = scale.credit_score
)

select * from final
