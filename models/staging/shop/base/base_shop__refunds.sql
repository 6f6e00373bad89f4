{%- set raw_types = raw_column_types('refunds') -%}

with

source as (
    select * from {{ shop_source('refunds') }}
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

-- Orders whose refund or cancellation the order row already records: a refund document for
-- one of them would subtract the same money twice.
orders_already_refunded as (
    select distinct order_id
    from {{ ref('base_shop__orders') }}
    where
        rejection_reason is null
        and (refund_amount > 0 or cancelled_at is not null)
),

typed as (
    select
        {{ clean_id('source.refund_id', raw=raw_types) }} as refund_id,
        {{ clean_id('source.customer_id', raw=raw_types) }} as customer_id,
        {{ clean_id('source.order_id', raw=raw_types) }} as order_id,
        {{ safe_timestamp('source.refunded_at', raw=raw_types) }} as refunded_at,
        {{ safe_number('source.refund_amount') }} as refund_amount,
        source.refunded_at as raw_refunded_at,
        source.refund_amount as raw_refund_amount
    from source
),

checked as (
    select
        typed.*,
        case
            when typed.refund_id is null or typed.customer_id is null then 'null_key'
            when
                (typed.raw_refunded_at is not null and typed.refunded_at is null)
                or (typed.raw_refund_amount is not null and typed.refund_amount is null)
                then 'unparseable_value'
            when {{ is_non_finite('typed.refunded_at') }} or {{ is_non_finite('typed.refund_amount') }}
                then 'non_finite_value'
            when typed.refunded_at is null or typed.refund_amount is null then 'missing_value'
            when {{ is_implausibly_early('typed.refunded_at') }} then 'implausible_date'
            when typed.refunded_at > extraction.extracted_at then 'future_dated'
            -- A refund document is positive by definition: a negative or zero one is invalid_value.
            when typed.refund_amount > {{ var('order_amount_max_plausible') }} then 'implausible_amount'
            when
                {{ has_control_character('typed.refund_id', raw=raw_types) }}
                or {{ has_control_character('typed.customer_id', raw=raw_types) }}
                or {{ has_control_character('typed.order_id', raw=raw_types) }}
                or typed.refund_amount <= 0
                then 'invalid_value'
        end as row_level_reason
    from typed
    cross join extraction
),

ranked as (
    {{ rank_duplicates(
        'checked', key=['refund_id'],
        survivor_order=['refunded_at', 'customer_id', 'refund_amount', 'order_id']
    ) }}
),

final as (
    select
        ranked.refund_id,
        ranked.customer_id,
        ranked.order_id,
        ranked.refunded_at,
        ranked.refund_amount,
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
                when orders_already_refunded.order_id is not null then 'refund_already_on_order'
            end
        ) as rejection_reason
    from ranked
    left join customer_status on ranked.customer_id = customer_status.parent_key
    left join order_status on ranked.order_id = order_status.parent_key
    left join orders_already_refunded on ranked.order_id = orders_already_refunded.order_id
)

select * from final
