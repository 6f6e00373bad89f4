with

repayments as (
    select * from {{ ref('base_shop__repayments') }}
    where rejection_reason is null
),

final as (
    select
        credit_account_id,
        installment_number,
        due_date,
        amount_due,
        paid_at,
        amount_paid,
        -- Settled = paid in full (a cent of rounding allowed); partial payments stay past due.
        coalesce(paid_at is not null and amount_paid >= amount_due - 0.01, false) as is_settled
    from repayments
)

select * from final
