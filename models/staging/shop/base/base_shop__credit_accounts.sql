{%- set raw_types = raw_column_types('credit_accounts') -%}

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
        {{ clean_id('source.credit_account_id', raw=raw_types) }} as credit_account_id,
        {{ clean_id('source.customer_id', raw=raw_types) }} as customer_id,
        {{ clean_id('source.order_id', raw=raw_types) }} as order_id,
        {{ safe_timestamp('source.opened_at', raw=raw_types) }} as opened_at,
        {{ safe_number('source.principal') }} as principal,
        {{ safe_count('source.term_months') }} as term_months,
        source.opened_at as raw_opened_at,
        source.principal as raw_principal,
        source.term_months as raw_term_months
    from source
),

checked as (
    select
        typed.*,
        case
            when typed.credit_account_id is null or typed.customer_id is null then 'null_key'
            when
                (typed.raw_opened_at is not null and typed.opened_at is null)
                or (typed.raw_principal is not null and typed.principal is null)
                or (typed.raw_term_months is not null and typed.term_months is null)
                then 'unparseable_value'
            when
                {{ is_non_finite('typed.opened_at') }}
                or {{ is_non_finite('typed.principal') }}
                or {{ is_non_finite('typed.term_months') }}
                then 'non_finite_value'
            when {{ is_fractional('typed.term_months') }} then 'non_integer_value'
            when typed.opened_at is null or typed.principal is null or typed.term_months is null
                then 'missing_value'
            when {{ is_implausibly_early('typed.opened_at') }} then 'implausible_date'
            when typed.opened_at > extraction.extracted_at then 'future_dated'
            when typed.principal < 0 then 'negative_amount'
            when typed.principal > {{ var('order_amount_max_plausible') }} then 'implausible_amount'
            when
                {{ has_control_character('typed.credit_account_id', raw=raw_types) }}
                or {{ has_control_character('typed.customer_id', raw=raw_types) }}
                or {{ has_control_character('typed.order_id', raw=raw_types) }}
                or {{ is_outside_integer_range('typed.term_months') }}
                or typed.principal = 0
                or typed.term_months < 1
                then 'invalid_value'
        end as row_level_reason
    from typed
    cross join extraction
),

ranked as (
    {{ rank_duplicates(
        'checked', key=['credit_account_id'],
        survivor_order=['opened_at', 'customer_id', 'principal', 'term_months', 'order_id']
    ) }}
),

final as (
    select
        ranked.credit_account_id,
        ranked.customer_id,
        ranked.order_id,
        ranked.opened_at,
        ranked.principal,
        {{ safe_integer('ranked.term_months') }} as term_months,
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
