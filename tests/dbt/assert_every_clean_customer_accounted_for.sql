-- Fails for any known clean customer that is neither scored (user_features) nor listed in
-- unscored_customers, or that is both.
with

customers as (
    select customer_id from {{ ref('int_customers_unified') }}
),

scored as (
    select distinct customer_id from {{ ref('user_features') }}
),

unscored as (
    select customer_id from {{ ref('unscored_customers') }}
),

final as (
    select
        customers.customer_id,
        scored.customer_id is not null as is_scored,
        unscored.customer_id is not null as is_unscored
    from customers
    left join scored on customers.customer_id = scored.customer_id
    left join unscored on customers.customer_id = unscored.customer_id
    where (scored.customer_id is null) = (unscored.customer_id is null)
)

select * from final
