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
        {{ clean_id('credit_account_id') }} as credit_account_id,
        {{ safe_integer('installment_number') }} as installment_number,
        {{ safe_cast('due_date', 'date') }} as due_date,
        {{ safe_number('amount_due') }} as amount_due,
        {{ safe_timestamp('paid_at') }} as paid_at,
        {{ safe_number('amount_paid') }} as amount_paid,
        {{ unparseable([
            ('installment_number', safe_integer('installment_number')),
            ('due_date', safe_cast('due_date', 'date')),
            ('amount_due', safe_number('amount_due')),
            ('paid_at', safe_timestamp('paid_at')),
            ('amount_paid', safe_number('amount_paid')),
        ]) }} as has_unparseable_value
    from source
),

-- The repayment schedule may run past the cut; a payment may not (future_dated).
checked as (
    select
        typed.*,
        {{ first_failing_reason([
            ('null_key', 'typed.credit_account_id is null or typed.installment_number is null'),
            ('unparseable_value', 'typed.has_unparseable_value'),
            ('missing_value', 'typed.due_date is null or typed.amount_due is null'),
            ('future_dated', 'typed.paid_at > extraction.extracted_at'),
            ('negative_amount', 'typed.amount_due < 0 or typed.amount_paid < 0'),
        ]) }} as row_level_reason
    from typed
    cross join extraction
),

ranked as (
    select
        *,
        -- Of two versions of an instalment, keep the one that records a payment.
        {{ duplicate_rank(['credit_account_id', 'installment_number'],
            'paid_at desc nulls last, amount_paid desc nulls last, due_date, amount_due') }}
            as duplicate_rank
    from checked
),

final as (
    select
        {{ row_key(['ranked.credit_account_id', 'ranked.installment_number']) }} as row_key,
        ranked.credit_account_id,
        ranked.installment_number,
        ranked.due_date,
        ranked.amount_due,
        ranked.paid_at,
        ranked.amount_paid,
        coalesce(
            ranked.row_level_reason,
            {{ first_failing_reason(
                [('duplicate', 'ranked.duplicate_rank > 1')]
                + parent_reason_checks('account_status', 'ranked.credit_account_id', 'unknown_credit_account')
            ) }}
        ) as rejection_reason
    from ranked
    left join account_status on ranked.credit_account_id = account_status.parent_key
)

select * from final
