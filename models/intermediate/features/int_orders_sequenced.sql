-- Clean orders with what the order features need per order: the gap to the customer's previous
-- order (known as soon as the order is placed) and whether it was paid by instalment.
with

orders as (
    select * from {{ ref('stg_shop__orders') }}
),

final as (
    select
        order_id,
        customer_id,
        ordered_at,
        delivered_at,
        cancelled_at,
        returned_at,
        order_amount,
        discount_amount,
        coalesce(refund_amount, 0) as refund_amount,
        coalesce(payment_method = 'instalment', false) as is_instalment,
        {{ dbt.datediff(
            'lag(ordered_at) over (partition by customer_id order by ordered_at, order_id)',
            'ordered_at', 'day') }} as days_since_previous_order
    from orders
)

select * from final
