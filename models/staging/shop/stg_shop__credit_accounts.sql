with

credit_accounts as (
    select * from {{ ref('base_shop__credit_accounts') }}
    where rejection_reason is null
),

final as (
    select
        credit_account_id,
        customer_id,
        order_id,
        opened_at,
        cast(opened_at as date) as opened_date,
        principal,
        term_months
    from credit_accounts
)

select * from final
