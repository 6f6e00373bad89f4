{%- set has_customers = shop_source_present('customers') -%}

with

source as (
    select * from {{ shop_source('reviews') }}
),

extraction as (
    select extracted_at from {{ ref('stg_shop__extraction_manifest') }}
),

customer_status as (
    {{ parent_status('base_shop__customers', 'customer_id') }}
),

order_status as (
    {{ parent_status('base_shop__orders', 'order_id') }}
),

typed as (
    select
        {{ clean_id('review_id') }} as review_id,
        {{ clean_id('customer_id') }} as customer_id,
        {{ clean_id('product_id') }} as product_id,
        {{ clean_id('order_id') }} as order_id,
        {{ safe_integer('rating') }} as rating,
        {{ safe_timestamp('reviewed_at') }} as reviewed_at,
        {{ unparseable([
            ('rating', safe_integer('rating')),
            ('reviewed_at', safe_timestamp('reviewed_at')),
        ]) }} as has_unparseable_value
    from source
),

checked as (
    select
        typed.*,
        {{ first_failing_reason([
            ('null_key', 'typed.review_id is null or typed.customer_id is null'),
            ('unparseable_value', 'typed.has_unparseable_value'),
            ('missing_value', 'typed.reviewed_at is null or typed.rating is null'),
            ('future_dated', 'typed.reviewed_at > extraction.extracted_at'),
            ('invalid_value', 'typed.rating < 1 or typed.rating > 5'),
        ]) }} as row_level_reason
    from typed
    cross join extraction
),

ranked as (
    select
        *,
        {{ duplicate_rank(['review_id'], 'reviewed_at, customer_id, product_id, rating') }}
            as duplicate_rank
    from checked
),

final as (
    select
        {{ row_key(['ranked.review_id']) }} as row_key,
        ranked.review_id,
        ranked.customer_id,
        ranked.product_id,
        ranked.order_id,
        ranked.rating,
        ranked.reviewed_at,
        coalesce(
            ranked.row_level_reason,
            {{ first_failing_reason(
                [('duplicate', 'ranked.duplicate_rank > 1')]
                + parent_reason_checks('customer_status', 'ranked.customer_id', 'unknown_customer', has_customers)
                + parent_reason_checks('order_status', 'ranked.order_id', 'unknown_order')
            ) }}
        ) as rejection_reason
    from ranked
    left join customer_status on ranked.customer_id = customer_status.parent_key
    left join order_status on ranked.order_id = order_status.parent_key
)

select * from final
