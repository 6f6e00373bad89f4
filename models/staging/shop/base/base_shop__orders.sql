{%- set raw_types = raw_column_types('orders') -%}

with

source as (
    select * from {{ shop_source('orders') }}
),

extraction as (
    select extracted_at from {{ ref('stg_shop__extraction_manifest') }}
),

customer_status as (
    {{ parent_status('base_shop__customers', 'customer_id') }}
),

typed as (
    select
        {{ clean_id('source.order_id', raw=raw_types) }} as order_id,
        {{ clean_id('source.customer_id', raw=raw_types) }} as customer_id,
        {{ safe_timestamp('source.ordered_at', raw=raw_types) }} as ordered_at,
        {{ safe_timestamp('source.paid_at', raw=raw_types) }} as paid_at,
        {{ safe_timestamp('source.shipped_at', raw=raw_types) }} as shipped_at,
        {{ safe_timestamp('source.delivered_at', raw=raw_types) }} as delivered_at,
        {{ safe_timestamp('source.cancelled_at', raw=raw_types) }} as cancelled_at,
        {{ safe_timestamp('source.returned_at', raw=raw_types) }} as returned_at,
        {{ safe_number('source.order_amount') }} as order_amount,
        {{ safe_number('source.discount_amount') }} as discount_amount,
        {{ safe_number('source.refund_amount') }} as refund_amount,
        {{ clean_code('source.payment_method') }} as payment_method,
        source.ordered_at as raw_ordered_at,
        source.paid_at as raw_paid_at,
        source.shipped_at as raw_shipped_at,
        source.delivered_at as raw_delivered_at,
        source.cancelled_at as raw_cancelled_at,
        source.returned_at as raw_returned_at,
        source.order_amount as raw_order_amount,
        source.discount_amount as raw_discount_amount,
        source.refund_amount as raw_refund_amount
    from source
),

checked as (
    select
        typed.*,
        case
            when typed.order_id is null or typed.customer_id is null then 'null_key'
            when
                (typed.raw_ordered_at is not null and typed.ordered_at is null)
                or (typed.raw_paid_at is not null and typed.paid_at is null)
                or (typed.raw_shipped_at is not null and typed.shipped_at is null)
                or (typed.raw_delivered_at is not null and typed.delivered_at is null)
                or (typed.raw_cancelled_at is not null and typed.cancelled_at is null)
                or (typed.raw_returned_at is not null and typed.returned_at is null)
                or (typed.raw_order_amount is not null and typed.order_amount is null)
                or (typed.raw_discount_amount is not null and typed.discount_amount is null)
                or (typed.raw_refund_amount is not null and typed.refund_amount is null)
                then 'unparseable_value'
            when
                {{ is_non_finite('typed.ordered_at') }}
                or {{ is_non_finite('typed.paid_at') }}
                or {{ is_non_finite('typed.shipped_at') }}
                or {{ is_non_finite('typed.delivered_at') }}
                or {{ is_non_finite('typed.cancelled_at') }}
                or {{ is_non_finite('typed.returned_at') }}
                or {{ is_non_finite('typed.order_amount') }}
                or {{ is_non_finite('typed.discount_amount') }}
                or {{ is_non_finite('typed.refund_amount') }}
                then 'non_finite_value'
            when typed.ordered_at is null or typed.order_amount is null then 'missing_value'
            when
                {{ is_implausibly_early('typed.ordered_at') }}
                or {{ is_implausibly_early('typed.paid_at') }}
                or {{ is_implausibly_early('typed.shipped_at') }}
                or {{ is_implausibly_early('typed.delivered_at') }}
                or {{ is_implausibly_early('typed.cancelled_at') }}
                or {{ is_implausibly_early('typed.returned_at') }}
                then 'implausible_date'
            when
                typed.ordered_at > extraction.extracted_at
                or typed.paid_at > extraction.extracted_at
                or typed.shipped_at > extraction.extracted_at
                or typed.delivered_at > extraction.extracted_at
                or typed.cancelled_at > extraction.extracted_at
                or typed.returned_at > extraction.extracted_at
                then 'future_dated'
            when typed.order_amount < 0 or typed.discount_amount < 0 or typed.refund_amount < 0
                then 'negative_amount'
            when
                typed.order_amount > {{ var('order_amount_max_plausible') }}
                or typed.discount_amount > {{ var('order_amount_max_plausible') }}
                or typed.refund_amount > {{ var('order_amount_max_plausible') }}
                then 'implausible_amount'
            when
                {{ has_control_character('typed.order_id', raw=raw_types) }}
                or {{ has_control_character('typed.customer_id', raw=raw_types) }}
                or {{ has_control_character('typed.payment_method', raw=raw_types) }}
                or typed.discount_amount > typed.order_amount
                then 'invalid_value'
            when
                typed.paid_at < typed.ordered_at
                or typed.shipped_at < typed.ordered_at
                or typed.delivered_at < typed.ordered_at
                or typed.cancelled_at < typed.ordered_at
                or typed.returned_at < typed.ordered_at
                then 'inconsistent_lifecycle'
        end as row_level_reason
    from typed
    cross join extraction
),

-- Of two versions of an order, keep the one that reached the furthest state.
ranked as (
    {{ rank_duplicates(
        'checked', key=['order_id'],
        survivor_order=[
            'returned_at desc', 'cancelled_at desc', 'delivered_at desc', 'shipped_at desc', 'paid_at desc',
            'ordered_at', 'customer_id', 'order_amount', 'discount_amount', 'refund_amount', 'payment_method',
        ]
    ) }}
),

final as (
    select
        ranked.order_id,
        ranked.customer_id,
        ranked.ordered_at,
        ranked.paid_at,
        ranked.shipped_at,
        ranked.delivered_at,
        ranked.cancelled_at,
        ranked.returned_at,
        ranked.order_amount,
        -- A missing discount means no discount (a null discount passes the checks as 0 would).
        coalesce(ranked.discount_amount, 0) as discount_amount,
        ranked.refund_amount,
        ranked.payment_method,
        coalesce(
            ranked.row_level_reason,
            case
                when ranked.duplicate_rank > 1 then 'duplicate'
                {%- if shop_source_present('customers') %}
                when ranked.customer_id is not null and customer_status.parent_key is null then 'unknown_customer'
                {%- endif %}
                when customer_status.has_clean_row = 0 then 'parent_quarantined'
            end
        ) as rejection_reason
    from ranked
    left join customer_status on ranked.customer_id = customer_status.parent_key
)

select * from final
