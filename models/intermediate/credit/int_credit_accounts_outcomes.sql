-- Outcome of each credit account under the project's default rule: default = some instalment
-- reaching var('credit_default_dpd') days past due inside the performance window of
-- var('credit_performance_months') months after opening. An instalment is cured in time only when
-- settled (paid in full) before it reaches that many days past due. The outcome is known once the
-- window has ended (performance_end_date), and uses no payment made after it. Both windows come
-- from int_scoring_context.
with

context as (
    select * from {{ ref('int_scoring_context') }}
),

accounts as (
    select * from {{ ref('stg_shop__credit_accounts') }}
),

repayments as (
    select * from {{ ref('stg_shop__repayments') }}
),

windows as (
    select
        accounts.credit_account_id,
        accounts.customer_id,
        accounts.opened_at,
        accounts.opened_date,
        accounts.principal,
        accounts.term_months,
        context.credit_default_dpd,
        cast(
            {{ dbt.dateadd('month', 'context.credit_performance_months', 'accounts.opened_date') }} as date
        ) as performance_end_date
    from accounts
    cross join context
),

instalments_in_window as (
    select
        windows.credit_account_id,
        repayments.due_date,
        cast({{ dbt.dateadd('day', 'windows.credit_default_dpd', 'repayments.due_date') }} as date)
            as default_trigger_date,
        repayments.is_settled,
        repayments.paid_at
    from windows
    inner join repayments on windows.credit_account_id = repayments.credit_account_id
    where {{ dbt.dateadd('day', 'windows.credit_default_dpd', 'repayments.due_date') }} <= windows.performance_end_date
),

defaults as (
    select
        credit_account_id,
        min(default_trigger_date) as defaulted_on
    from instalments_in_window
    where not (is_settled and paid_at < default_trigger_date)
    group by credit_account_id
),

final as (
    select
        windows.credit_account_id,
        windows.customer_id,
        windows.opened_at,
        windows.opened_date,
        windows.principal,
        windows.term_months,
        windows.performance_end_date,
        defaults.defaulted_on,
        case when defaults.credit_account_id is not null then 1 else 0 end as is_default
    from windows
    left join defaults on windows.credit_account_id = defaults.credit_account_id
)

select * from final
