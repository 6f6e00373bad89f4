-- Instalment-credit history at each (customer, feature_date): accounts opened before it and how
-- their instalments due before it were repaid, as known then (a payment made on or after
-- feature_date does not exist yet, so that instalment is still past due at feature_date).
with

feature_dates as (
    select * from {{ ref('int_customer_feature_dates') }}
),

accounts as (
    select * from {{ ref('stg_shop__credit_accounts') }}
),

repayments as (
    select * from {{ ref('stg_shop__repayments') }}
),

accounts_as_of as (
    select
        feature_dates.customer_id,
        feature_dates.feature_date,
        accounts.credit_account_id,
        accounts.principal
    from feature_dates
    inner join accounts
        on
            feature_dates.customer_id = accounts.customer_id
            and accounts.opened_at < feature_dates.feature_date
),

instalments_as_of as (
    select
        accounts_as_of.customer_id,
        accounts_as_of.feature_date,
        repayments.amount_due,
        repayments.due_date < accounts_as_of.feature_date as is_due,
        repayments.is_settled and repayments.paid_at < accounts_as_of.feature_date as is_settled,
        case
            when repayments.is_settled and repayments.paid_at < accounts_as_of.feature_date
                then {{ dbt.datediff('repayments.due_date', 'repayments.paid_at', 'day') }}
            else {{ dbt.datediff('repayments.due_date', 'accounts_as_of.feature_date', 'day') }}
        end as days_past_due
    from accounts_as_of
    inner join repayments on accounts_as_of.credit_account_id = repayments.credit_account_id
),

account_totals as (
    select
        customer_id,
        feature_date,
        count(*) as credit_accounts_lifetime,
        {{ exact_sum('principal') }} as credit_principal_lifetime
    from accounts_as_of
    group by customer_id, feature_date
),

instalment_totals as (
    select
        customer_id,
        feature_date,
        sum(case when is_due then 1 else 0 end) as instalments_due,
        sum(case when is_due and days_past_due > 0 then 1 else 0 end) as instalments_paid_late,
        sum(case when is_due and days_past_due >= 30 then 1 else 0 end) as instalments_30dpd,
        max(case when is_due then greatest(days_past_due, 0) end) as max_days_past_due,
        coalesce(max(case when is_due and not is_settled then days_past_due end), 0)
            as current_days_past_due,
        {{ exact_sum('case when not is_settled then amount_due else 0 end') }} as outstanding_balance
    from instalments_as_of
    group by customer_id, feature_date
),

final as (
    select
        account_totals.customer_id,
        account_totals.feature_date,
        account_totals.credit_accounts_lifetime,
        account_totals.credit_principal_lifetime,
        coalesce(instalment_totals.instalments_due, 0) as instalments_due,
        coalesce(instalment_totals.instalments_paid_late, 0) as instalments_paid_late,
        coalesce(instalment_totals.instalments_30dpd, 0) as instalments_30dpd,
        instalment_totals.max_days_past_due,
        coalesce(instalment_totals.current_days_past_due, 0) as current_days_past_due,
        coalesce(instalment_totals.outstanding_balance, 0) as outstanding_balance
    from account_totals
    left join instalment_totals
        on
            account_totals.customer_id = instalment_totals.customer_id
            and account_totals.feature_date = instalment_totals.feature_date
)

select * from final
