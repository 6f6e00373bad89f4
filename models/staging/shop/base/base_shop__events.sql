{%- set has_customers = shop_source_present('customers') -%}
{%- set has_products = shop_source_present('products') -%}
{%- set event_types = ['view', 'search', 'add_to_cart', 'remove_from_cart', 'favorite', 'checkout'] -%}

with

source as (
    select * from {{ shop_source('events') }}
),

extraction as (
    select extracted_at from {{ ref('stg_shop__extraction_manifest') }}
),

customer_status as (
    {{ parent_status('base_shop__customers', 'customer_id') }}
),

product_status as (
    {{ parent_status('base_shop__products', 'product_id') }}
),

typed as (
    select
        {{ clean_id('event_id') }} as event_id,
        {{ clean_id('customer_id') }} as customer_id,
        {{ clean_id('session_id') }} as session_id,
        {{ safe_timestamp('event_at') }} as event_at,
        {{ clean_code('event_type') }} as event_type,
        {{ clean_id('product_id') }} as product_id,
        {{ unparseable([('event_at', safe_timestamp('event_at'))]) }} as has_unparseable_value
    from source
),

checked as (
    select
        typed.*,
        {{ first_failing_reason([
            ('null_key', 'typed.event_id is null or typed.customer_id is null'),
            ('unparseable_value', 'typed.has_unparseable_value'),
            ('missing_value', 'typed.event_at is null or typed.event_type is null'),
            ('future_dated', 'typed.event_at > extraction.extracted_at'),
            ('invalid_value', "typed.event_type not in ('" ~ event_types | join("', '") ~ "')"),
        ]) }} as row_level_reason
    from typed
    cross join extraction
),

ranked as (
    select
        *,
        {{ duplicate_rank(['event_id'], 'event_at, customer_id, session_id, event_type, product_id') }}
            as duplicate_rank
    from checked
),

final as (
    select
        {{ row_key(['ranked.event_id']) }} as row_key,
        ranked.event_id,
        ranked.customer_id,
        ranked.session_id,
        ranked.event_at,
        ranked.event_type,
        ranked.product_id,
        coalesce(
            ranked.row_level_reason,
            {{ first_failing_reason(
                [('duplicate', 'ranked.duplicate_rank > 1')]
                + parent_reason_checks('customer_status', 'ranked.customer_id', 'unknown_customer', has_customers)
                + parent_reason_checks('product_status', 'ranked.product_id', 'unknown_product', has_products)
            ) }}
        ) as rejection_reason
    from ranked
    left join customer_status on ranked.customer_id = customer_status.parent_key
    left join product_status on ranked.product_id = product_status.parent_key
)

select * from final
