-- Refund documents booked before each feature_date (cancellation invoices, credit notes).
with

feature_dates as (
    select * from {{ ref('int_customer_feature_dates') }}
),

refunds as (
    select * from {{ ref('stg_shop__refunds') }}
),

final as (
    select
        feature_dates.customer_id,
        feature_dates.feature_date,
        count(*) as refunds_lifetime,
        {{ exact_sum('refunds.refund_amount') }} as refunded_amount_lifetime,
        {{ exact_sum(
            'case when ' ~ dbt.datediff('refunds.refunded_at', 'feature_dates.feature_date', 'day')
            ~ ' <= 90 then refunds.refund_amount else 0 end') }} as refunded_amount_90d
    from feature_dates
    inner join refunds
        on
            feature_dates.customer_id = refunds.customer_id
            and refunds.refunded_at < feature_dates.feature_date
    group by feature_dates.customer_id, feature_dates.feature_date
)

select * from final
