{%- set raw_types = raw_column_types('reviews') -%}

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
        {{ clean_id('source.review_id', raw=raw_types) }} as review_id,
        {{ clean_id('source.customer_id', raw=raw_types) }} as customer_id,
        {{ clean_id('source.product_id', raw=raw_types) }} as product_id,
        {{ clean_id('source.order_id', raw=raw_types) }} as order_id,
        {{ safe_count('source.rating') }} as rating,
        {{ safe_timestamp('source.reviewed_at', raw=raw_types) }} as reviewed_at,
        source.rating as raw_rating,
        source.reviewed_at as raw_reviewed_at
    from source
),

checked as (
    select
        typed.*,
        case
            when typed.review_id is null or typed.customer_id is null then 'null_key'
            when
                (typed.raw_rating is not null and typed.rating is null)
                or (typed.raw_reviewed_at is not null and typed.reviewed_at is null)
                then 'unparseable_value'
            when {{ is_non_finite('typed.rating') }} or {{ is_non_finite('typed.reviewed_at') }}
                then 'non_finite_value'
            when {{ is_fractional('typed.rating') }} then 'non_integer_value'
            when typed.reviewed_at is null or typed.rating is null then 'missing_value'
            when {{ is_implausibly_early('typed.reviewed_at') }} then 'implausible_date'
            when typed.reviewed_at > extraction.extracted_at then 'future_dated'
            when
                {{ has_control_character('typed.review_id', raw=raw_types) }}
                or {{ has_control_character('typed.customer_id', raw=raw_types) }}
                or {{ has_control_character('typed.product_id', raw=raw_types) }}
                or {{ has_control_character('typed.order_id', raw=raw_types) }}
                or typed.rating < 1
                or typed.rating > 5
                then 'invalid_value'
        end as row_level_reason
    from typed
    cross join extraction
),

ranked as (
    {{ rank_duplicates(
        'checked', key=['review_id'],
        survivor_order=['reviewed_at', 'customer_id', 'product_id', 'rating', 'order_id']
    ) }}
),

final as (
    select
        ranked.review_id,
        ranked.customer_id,
        ranked.product_id,
        ranked.order_id,
        {{ safe_integer('ranked.rating') }} as rating,
        ranked.reviewed_at,
        coalesce(
            ranked.row_level_reason,
            case
                when ranked.duplicate_rank > 1 then 'duplicate'
                {%- if shop_source_present('customers') %}
                when ranked.customer_id is not null and customer_status.parent_key is null then 'unknown_customer'
                {%- endif %}
                when customer_status.has_clean_row = 0 then 'parent_quarantined'
                when ranked.order_id is not null and order_status.parent_key is null then 'unknown_order'
                when order_status.has_clean_row = 0 then 'parent_quarantined'
            end
        ) as rejection_reason
    from ranked
    left join customer_status on ranked.customer_id = customer_status.parent_key
    left join order_status on ranked.order_id = order_status.parent_key
)

select * from final
