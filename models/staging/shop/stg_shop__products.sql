with

products as (
    select * from {{ ref('base_shop__products') }}
    where rejection_reason is null
),

final as (
    select
        product_id,
        coalesce(category, 'unknown') as category,
        brand,
        list_price
    from products
)

select * from final
