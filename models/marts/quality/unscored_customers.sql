-- Every clean customer the scoring population leaves out, with the reason: features use data
-- strictly before as_of_date, so a customer first seen on or after it (signed up, or first
-- ordered, on the cut day or later) has no history to score yet. Customers who signed up before
-- as_of_date without ordering are scored (zero counts), so they are not listed here.
-- Clean customers = scored (user_features) + unscored (tested).
with

customers as (
    select * from {{ ref('int_customers_unified') }}
),

context as (
    select * from {{ ref('int_scoring_context') }}
),

final as (
    select
        cast(customers.customer_id as {{ dbt.type_string() }}) as customer_id,
        context.as_of_date,
        cast(
            case
                when customers.signup_at is not null then 'signed_up_on_or_after_as_of_date'
                else 'first_order_on_or_after_as_of_date'
            end as {{ dbt.type_string() }}
        ) as reason,
        customers.signup_at,
        customers.first_ordered_at,
        context.context_run_id
    from customers
    cross join context
    where customers.first_seen_at >= context.as_of_date
)

select * from final
