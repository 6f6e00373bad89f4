-- Fails for every (customer, reason rank) where the Python scorer's reason differs from the
-- features the published scorecard says lose the customer most points: the features with a
-- positive shortfall (best points of the feature minus the customer's points), largest first,
-- ties by feature name, at most four, marked ':missing' when the value is missing.
with

points as (
    select * from {{ ref('int_credit_scorecard_points') }}
),

python_scores as (
    select * from {{ ref('ml_credit_scoring') }}
),

ranked as (
    select
        customer_id,
        feature_name || case when bin_type = 'missing' then ':missing' else '' end as reason_code,
        row_number() over (
            partition by customer_id order by best_points - points desc, feature_name
        ) as reason_rank
    from points
    where best_points - points > 0
),

expected as (
    select
        customer_id,
        reason_rank,
        reason_code
    from ranked
    where reason_rank <= 4
),

{%- for k in [1, 2, 3, 4] %}

given_{{ k }} as (
    select
        customer_id,
        {{ k }} as reason_rank,
        reason_code_{{ k }} as reason_code
    from python_scores
    where reason_code_{{ k }} is not null
),
{%- endfor %}

given as (
    select * from given_1
    union all
    select * from given_2
    union all
    select * from given_3
    union all
    select * from given_4
),

final as (
    select
        coalesce(expected.customer_id, given.customer_id) as customer_id,
        coalesce(expected.reason_rank, given.reason_rank) as reason_rank,
        expected.reason_code as expected_reason_code,
        given.reason_code as given_reason_code
    from expected
    full outer join given
        on
            expected.customer_id = given.customer_id
            and expected.reason_rank = given.reason_rank
    where
        expected.reason_code is null
        or given.reason_code is null
        or expected.reason_code != given.reason_code
)

select * from final
