-- Every customer the shop knows: the customers table when there is one, plus anyone who ordered.
-- first_seen_at (signup or first order, whichever is earlier) decides from which cut-off on a
-- customer belongs to the population.
with

customers as (
    select * from {{ ref('stg_shop__customers') }}
),

orders as (
    select * from {{ ref('stg_shop__orders') }}
),

first_orders as (
    select
        customer_id,
        min(ordered_at) as first_ordered_at
    from orders
    group by customer_id
),

customer_ids as (
    select customer_id from customers
    union
    select customer_id from first_orders
),

final as (
    select
        customer_ids.customer_id,
        customers.signup_at,
        first_orders.first_ordered_at,
        case
            when customers.signup_at is null then first_orders.first_ordered_at
            when first_orders.first_ordered_at is null then customers.signup_at
            when customers.signup_at < first_orders.first_ordered_at then customers.signup_at
            else first_orders.first_ordered_at
        end as first_seen_at,
        customers.birth_year,
        customers.gender,
        customers.region,
        customers.city_tier,
        customers.customer_id is not null as has_profile
    from customer_ids
    left join customers on customer_ids.customer_id = customers.customer_id
    left join first_orders on customer_ids.customer_id = first_orders.customer_id
)

select * from final
