-- Clean orders. Amounts above var('order_amount_cap') are capped (fixed config, so the rule is
-- the same at every cut-off and leaks nothing) and flagged; the raw amount is kept beside.
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
        case when discount_amount > capped_amount then capped_amount else discount_amount end
            as discount_amount,
        -- A refund never exceeds what was paid.
        case
            when refund_amount > capped_amount - discount_amount
                then greatest(capped_amount - discount_amount, 0)
            else refund_amount
        end as refund_amount,
        order_amount as order_amount_raw,
        order_amount > {{ cap }} as is_amount_capped,
        coalesce(refund_amount > order_amount - discount_amount, false) as is_refund_capped
    from capped
)

select * from final
