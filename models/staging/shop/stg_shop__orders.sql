-- Clean orders. Amounts above var('order_amount_cap') are capped (fixed config, so the rule is
-- the same at every cut-off and leaks nothing) and flagged; the raw amount is kept beside.
-- Discounts and refunds never exceed what the (capped) order was worth.
{%- set cap = var('order_amount_cap') %}

with

orders as (
    select * from {{ ref('base_shop__orders') }}
    where rejection_reason is null
),

capped as (
    select
        *,
        case when order_amount > {{ cap }} then {{ cap }} else order_amount end as capped_amount
    from orders
),

discounted as (
    select
        *,
        case when discount_amount > capped_amount then capped_amount else discount_amount end
            as capped_discount
    from capped
),

final as (
    select
        order_id,
        customer_id,
        ordered_at,
        paid_at,
        shipped_at,
        delivered_at,
        cancelled_at,
        returned_at,
        payment_method,
        capped_amount as order_amount,
        capped_discount as discount_amount,
        case
            when refund_amount > capped_amount - capped_discount then capped_amount - capped_discount
            else refund_amount
        end as refund_amount,
        order_amount as order_amount_raw,
        order_amount > {{ cap }} as is_amount_capped,
        coalesce(refund_amount > capped_amount - capped_discount, false) as is_refund_capped
    from discounted
)

select * from final
