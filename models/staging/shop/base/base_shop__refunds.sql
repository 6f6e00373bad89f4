{%- set has_customers = shop_source_present('customers') -%}

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
        {{ clean_id('refund_id') }} as refund_id,
        {{ clean_id('customer_id') }} as customer_id,
        {{ clean_id('order_id') }} as order_id,
        {{ safe_timestamp('refunded_at') }} as refunded_at,
        {{ safe_number('refund_amount') }} as refund_amount,
        {{ unparseable([
            ('refunded_at', safe_timestamp('refunded_at')),
            ('refund_amount', safe_number('refund_amount')),
        ]) }} as has_unparseable_value
    from source
),

checked as (
    select
        typed.*,
        {{ first_failing_reason([
            ('null_key', 'typed.refund_id is null or typed.customer_id is null'),
            ('unparseable_value', 'typed.has_unparseable_value'),
            ('missing_value', 'typed.refunded_at is null or typed.refund_amount is null'),
            ('future_dated', 'typed.refunded_at > extraction.extracted_at'),
            ('invalid_value', 'typed.refund_amount <= 0'),
            ('implausible_amount', 'typed.refund_amount > ' ~ var('order_amount_max_plausible')),
        ]) }} as row_level_reason
    from typed
    cross join extraction
),

ranked as (
    select
        *,
        {{ duplicate_rank(['refund_id'], 'refunded_at, customer_id, refund_amount') }} as duplicate_rank
    from checked
),

final as (
    select
        {{ row_key(['ranked.refund_id']) }} as row_key,
        ranked.refund_id,
        ranked.customer_id,
        ranked.order_id,
        ranked.refunded_at,
        ranked.refund_amount,
        coalesce(
            ranked.row_level_reason,
            {{ first_failing_reason(
                [('duplicate', 'ranked.duplicate_rank > 1')]
                + parent_reason_checks('customer_status', 'ranked.customer_id', 'unknown_customer', has_customers)
                + parent_reason_checks('order_status', 'ranked.order_id', 'unknown_order')
                + [('refund_already_on_order', 'orders_already_refunded.order_id is not null')]
            ) }}
        ) as rejection_reason
    from ranked
    left join customer_status on ranked.customer_id = customer_status.parent_key
    left join order_status on ranked.order_id = order_status.parent_key
    left join orders_already_refunded on ranked.order_id = orders_already_refunded.order_id
)

select * from final
