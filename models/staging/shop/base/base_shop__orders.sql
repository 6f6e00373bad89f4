{%- set has_customers = shop_source_present('customers') -%}
{%- set lifecycle = ['paid_at', 'shipped_at', 'delivered_at', 'cancelled_at', 'returned_at'] -%}
{%- set unparseable_columns = [
    ('order_amount', safe_number('order_amount')),
    ('discount_amount', safe_number('discount_amount')),
    ('refund_amount', safe_number('refund_amount')),
    ('ordered_at', safe_timestamp('ordered_at')),
] -%}
{%- for column in lifecycle -%}
{%- do unparseable_columns.append((column, safe_timestamp(column))) -%}
{%- endfor -%}
{%- set future_dated = ['typed.ordered_at > extraction.extracted_at'] -%}
{%- set before_order = [] -%}
{%- for column in lifecycle -%}
{%- do future_dated.append('typed.' ~ column ~ ' > extraction.extracted_at') -%}
{%- do before_order.append('typed.' ~ column ~ ' < typed.ordered_at') -%}
{%- endfor -%}

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
        {{ clean_id('order_id') }} as order_id,
        {{ clean_id('customer_id') }} as customer_id,
        {{ safe_timestamp('ordered_at') }} as ordered_at,
        {%- for column in lifecycle %}
        {{ safe_timestamp(column) }} as {{ column }},
        {%- endfor %}
        {{ safe_number('order_amount') }} as order_amount,
        -- A missing discount means no discount.
        coalesce({{ safe_number('discount_amount') }}, 0) as discount_amount,
        {{ safe_number('refund_amount') }} as refund_amount,
        {{ clean_code('payment_method') }} as payment_method,
        {{ unparseable(unparseable_columns) }} as has_unparseable_value
    from source
),

checked as (
    select
        typed.*,
        {{ first_failing_reason([
            ('null_key', 'typed.order_id is null or typed.customer_id is null'),
            ('unparseable_value', 'typed.has_unparseable_value'),
            ('missing_value', 'typed.ordered_at is null or typed.order_amount is null'),
            ('future_dated', future_dated | join(' or ')),
            ('negative_amount',
                'typed.order_amount < 0 or typed.discount_amount < 0 or typed.refund_amount < 0'),
            ('implausible_amount', 'typed.order_amount > ' ~ var('order_amount_max_plausible')),
            ('invalid_value', 'typed.discount_amount > typed.order_amount'),
            ('inconsistent_lifecycle', before_order | join(' or ')),
        ]) }} as row_level_reason
    from typed
    cross join extraction
),

ranked as (
    select
        *,
        -- Of two versions of an order, keep the one that reached the furthest state.
        {{ duplicate_rank(['order_id'],
            'returned_at desc nulls last, cancelled_at desc nulls last, '
            ~ 'delivered_at desc nulls last, shipped_at desc nulls last, paid_at desc nulls last, '
            ~ 'ordered_at, customer_id, order_amount') }} as duplicate_rank
    from checked
),

final as (
    select
        {{ row_key(['ranked.order_id']) }} as row_key,
        ranked.order_id,
        ranked.customer_id,
        ranked.ordered_at,
        {%- for column in lifecycle %}
        ranked.{{ column }},
        {%- endfor %}
        ranked.order_amount,
        ranked.discount_amount,
        ranked.refund_amount,
        ranked.payment_method,
        coalesce(
            ranked.row_level_reason,
            {{ first_failing_reason(
                [('duplicate', 'ranked.duplicate_rank > 1')]
                + parent_reason_checks('customer_status', 'ranked.customer_id', 'unknown_customer', has_customers)
            ) }}
        ) as rejection_reason
    from ranked
    left join customer_status on ranked.customer_id = customer_status.parent_key
)

select * from final
