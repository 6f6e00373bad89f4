with

order_items as (
    select * from {{ ref('base_shop__order_items') }}
    where rejection_reason is null
),

final as (
    select
        order_id,
        line_number,
        product_id,
        quantity,
        unit_price,
        quantity * unit_price as line_amount
    from order_items
)

select * from final
