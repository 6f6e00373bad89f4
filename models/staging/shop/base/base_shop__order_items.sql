{%- set has_products = shop_source_present('products') -%}

with

source as (
    select * from {{ shop_source('order_items') }}
),

order_status as (
    {{ parent_status('base_shop__orders', 'order_id') }}
),

product_status as (
    {{ parent_status('base_shop__products', 'product_id') }}
),

typed as (
    select
        {{ clean_id('order_id') }} as order_id,
        {{ safe_integer('line_number') }} as line_number,
        {{ clean_id('product_id') }} as product_id,
        {{ safe_integer('quantity') }} as quantity,
        {{ safe_number('unit_price') }} as unit_price,
        {{ unparseable([
            ('line_number', safe_integer('line_number')),
            ('quantity', safe_integer('quantity')),
            ('unit_price', safe_number('unit_price')),
        ]) }} as has_unparseable_value
    from source
),

checked as (
    select
        *,
        {{ first_failing_reason([
            ('null_key', 'order_id is null or line_number is null'),
            ('unparseable_value', 'has_unparseable_value'),
            ('missing_value', 'product_id is null or quantity is null or unit_price is null'),
            ('negative_amount', 'unit_price < 0'),
            ('invalid_value', 'quantity <= 0'),
        ]) }} as row_level_reason
    from typed
),

ranked as (
    select
        *,
        {{ duplicate_rank(['order_id', 'line_number'], 'product_id, quantity, unit_price') }}
            as duplicate_rank
    from checked
),

final as (
    select
        {{ row_key(['ranked.order_id', 'ranked.line_number']) }} as row_key,
        ranked.order_id,
        ranked.line_number,
        ranked.product_id,
        ranked.quantity,
        ranked.unit_price,
        coalesce(
            ranked.row_level_reason,
            {{ first_failing_reason(
                [('duplicate', 'ranked.duplicate_rank > 1')]
                + parent_reason_checks('order_status', 'ranked.order_id', 'unknown_order')
                + parent_reason_checks('product_status', 'ranked.product_id', 'unknown_product', has_products)
            ) }}
        ) as rejection_reason
    from ranked
    left join order_status on ranked.order_id = order_status.parent_key
    left join product_status on ranked.product_id = product_status.parent_key
)

select * from final
