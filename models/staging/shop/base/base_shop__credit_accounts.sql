{%- set has_customers = shop_source_present('customers') -%}

with

source as (
    select * from {{ shop_source('credit_accounts') }}
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
        {{ clean_id('credit_account_id') }} as credit_account_id,
        {{ clean_id('customer_id') }} as customer_id,
        {{ clean_id('order_id') }} as order_id,
        {{ safe_timestamp('opened_at') }} as opened_at,
        {{ safe_number('principal') }} as principal,
        {{ safe_integer('term_months') }} as term_months,
        {{ unparseable([
            ('opened_at', safe_timestamp('opened_at')),
            ('principal', safe_number('principal')),
            ('term_months', safe_integer('term_months')),
        ]) }} as has_unparseable_value
    from source
),

checked as (
    select
        typed.*,
        {{ first_failing_reason([
            ('null_key', 'typed.credit_account_id is null or typed.customer_id is null'),
            ('unparseable_value', 'typed.has_unparseable_value'),
            ('missing_value', 'typed.opened_at is null or typed.principal is null or typed.term_months is null'),
            ('future_dated', 'typed.opened_at > extraction.extracted_at'),
            ('negative_amount', 'typed.principal < 0'),
            ('implausible_amount', 'typed.principal > ' ~ var('order_amount_max_plausible')),
            ('invalid_value', 'typed.principal = 0 or typed.term_months < 1'),
        ]) }} as row_level_reason
    from typed
    cross join extraction
),

ranked as (
    select
        *,
        {{ duplicate_rank(['credit_account_id'], 'opened_at, customer_id, principal, term_months') }}
            as duplicate_rank
    from checked
),

final as (
    select
        {{ row_key(['ranked.credit_account_id']) }} as row_key,
        ranked.credit_account_id,
        ranked.customer_id,
        ranked.order_id,
        ranked.opened_at,
        ranked.principal,
        ranked.term_months,
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
