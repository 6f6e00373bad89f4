with

reviews as (
    select * from {{ ref('base_shop__reviews') }}
    where rejection_reason is null
),

final as (
    select
        review_id,
        customer_id,
        product_id,
        order_id,
        rating,
        reviewed_at
    from reviews
)

select * from final
