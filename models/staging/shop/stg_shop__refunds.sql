-- Clean refund documents, capped like order amounts (same fixed cap at every cut-off).
{%- set cap = var('order_amount_cap') %}

with

refunds as (
    select * from {{ ref('base_shop__refunds') }}
    where rejection_reason is null
),

final as (
    select
        refund_id,
        customer_id,
        order_id,
        refunded_at,
        case when refund_amount > {{ cap }} then {{ cap }} else refund_amount end as refund_amount,
        refund_amount > {{ cap }} as is_refund_capped
    from refunds
)

select * from final
