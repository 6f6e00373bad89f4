{%- set raw_types = raw_column_types('events') -%}

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
        {{ clean_id('source.event_id', raw=raw_types) }} as event_id,
        {{ clean_id('source.customer_id', raw=raw_types) }} as customer_id,
        {{ clean_id('source.session_id', raw=raw_types) }} as session_id,
        {{ safe_timestamp('source.event_at', raw=raw_types) }} as event_at,
        {{ clean_code('source.event_type') }} as event_type,
        {{ clean_id('source.product_id', raw=raw_types) }} as product_id,
        {{ id_match_key('source.event_id', raw=raw_types) }} as event_key,
        source.event_at as raw_event_at
    from source
),

checked as (
    select
        typed.*,
        case
            when typed.event_id is null or typed.customer_id is null then 'null_key'
            when typed.raw_event_at is not null and typed.event_at is null then 'unparseable_value'
            when {{ is_non_finite('typed.event_at') }} then 'non_finite_value'
            when typed.event_at is null or typed.event_type is null then 'missing_value'
            when {{ is_implausibly_early('typed.event_at') }} then 'implausible_date'
            when typed.event_at > extraction.extracted_at then 'future_dated'
            when
                {{ has_control_character('typed.event_id', raw=raw_types) }}
                or {{ has_control_character('typed.customer_id', raw=raw_types) }}
                or {{ has_control_character('typed.session_id', raw=raw_types) }}
                or {{ has_control_character('typed.product_id', raw=raw_types) }}
                or typed.event_type not in ('view', 'search', 'add_to_cart', 'remove_from_cart', 'favorite', 'checkout')
                then 'invalid_value'
        end as row_level_reason
    from typed
    cross join extraction
),

-- The first clean version by time, then columns, is kept; event_key groups as event_id does.
ranked as (
    {{ rank_duplicates(
        'checked', key=['event_key'],
        survivor_order=['event_at', 'customer_id', 'session_id', 'event_type', 'product_id']
    ) }}
),

final as (
    select
        ranked.event_id,
        ranked.customer_id,
        ranked.session_id,
        ranked.event_at,
        ranked.event_type,
        ranked.product_id,
        coalesce(
            ranked.row_level_reason,
            case
                when ranked.duplicate_rank > 1 then 'duplicate'
                {%- if shop_source_present('customers') %}
                when ranked.customer_id is not null and customer_status.parent_key is null then 'unknown_customer'
                {%- endif %}
                when customer_status.has_clean_row = 0 then 'parent_quarantined'
                {%- if shop_source_present('products') %}
                when ranked.product_id is not null and product_status.parent_key is null then 'unknown_product'
                {%- endif %}
                when product_status.has_clean_row = 0 then 'parent_quarantined'
            end
        ) as rejection_reason
    from ranked
    left join customer_status on ranked.customer_id = customer_status.parent_key
    left join product_status on ranked.product_id = product_status.parent_key
)

select * from final
