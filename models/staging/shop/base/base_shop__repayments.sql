{%- set raw_types = raw_column_types('repayments') -%}

with

source as (
    select * from {{ shop_source('repayments') }}
),

extraction as (
    select extracted_at from {{ ref('stg_shop__extraction_manifest') }}
),

account_status as (
    {{ parent_status('base_shop__credit_accounts', 'credit_account_id') }}
),

typed as (
    select
        {{ clean_id('source.credit_account_id', raw=raw_types) }} as credit_account_id,
        {{ safe_count('source.installment_number') }} as installment_number,
        {{ safe_cast('source.due_date', 'date') }} as due_date,
        {{ safe_number('source.amount_due') }} as amount_due,
        {{ safe_timestamp('source.paid_at', raw=raw_types) }} as paid_at,
        {{ safe_number('source.amount_paid') }} as amount_paid,
        source.installment_number as raw_installment_number,
        source.due_date as raw_due_date,
        source.amount_due as raw_amount_due,
        source.paid_at as raw_paid_at,
        source.amount_paid as raw_amount_paid
    from source
),

-- The repayment schedule may run past the cut; a payment may not (future_dated).
checked as (
    select
        typed.*,
        case
            when typed.credit_account_id is null or typed.installment_number is null then 'null_key'
            when
                (typed.raw_installment_number is not null and typed.installment_number is null)
                or (typed.raw_due_date is not null and typed.due_date is null)
                or (typed.raw_amount_due is not null and typed.amount_due is null)
                or (typed.raw_paid_at is not null and typed.paid_at is null)
                or (typed.raw_amount_paid is not null and typed.amount_paid is null)
                then 'unparseable_value'
            when
                {{ is_non_finite('typed.installment_number') }}
                or {{ is_non_finite('typed.due_date') }}
                or {{ is_non_finite('typed.amount_due') }}
                or {{ is_non_finite('typed.paid_at') }}
                or {{ is_non_finite('typed.amount_paid') }}
                then 'non_finite_value'
            when {{ is_fractional('typed.installment_number') }} then 'non_integer_value'
            when typed.due_date is null or typed.amount_due is null then 'missing_value'
            when {{ is_implausibly_early('typed.due_date') }} or {{ is_implausibly_early('typed.paid_at') }}
                then 'implausible_date'
            when typed.paid_at > extraction.extracted_at then 'future_dated'
            when typed.amount_due < 0 or typed.amount_paid < 0 then 'negative_amount'
            when
                typed.amount_due > {{ var('order_amount_max_plausible') }}
                or typed.amount_paid > {{ var('order_amount_max_plausible') }}
                then 'implausible_amount'
            when
                {{ has_control_character('typed.credit_account_id', raw=raw_types) }}
                or {{ is_outside_integer_range('typed.installment_number') }}
                then 'invalid_value'
        end as row_level_reason
    from typed
    cross join extraction
),

-- Of two versions of an instalment, keep the one that records a payment.
ranked as (
    {{ rank_duplicates(
        'checked', key=['credit_account_id', 'installment_number'],
        survivor_order=['paid_at desc', 'amount_paid desc', 'due_date', 'amount_due']
    ) }}
),

final as (
    select
        -- installment_number is still a number here (safe_count): clean_id writes 3.0 as '3', 1.5 as '1.5'.
        {{ row_key(['ranked.credit_account_id', clean_id('ranked.installment_number')]) }} as row_key,
        ranked.credit_account_id,
        {{ safe_integer('ranked.installment_number') }} as installment_number,
        ranked.due_date,
        ranked.amount_due,
        ranked.paid_at,
        ranked.amount_paid,
        coalesce(
            ranked.row_level_reason,
            case
                when ranked.duplicate_rank > 1 then 'duplicate'
                when ranked.credit_account_id is not null and account_status.parent_key is null
                    then 'unknown_credit_account'
                when account_status.has_clean_row = 0 then 'parent_quarantined'
            end
        ) as rejection_reason
    from ranked
    left join account_status on ranked.credit_account_id = account_status.parent_key
)

select * from final
