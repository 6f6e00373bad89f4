-- One row per (customer_id, feature_date): every feature computed only from data strictly before
-- feature_date. One definition serves the scoring date, the training cut-offs and the credit
-- account openings. Counts are 0 when a customer has no such activity (or the source table is
-- absent); rates, averages and recencies are null when undefined.
with

context as (
    select * from {{ ref('int_scoring_context') }}
),

feature_dates as (
    select * from {{ ref('int_customer_feature_dates') }}
),

customers as (
    select * from {{ ref('int_customers_unified') }}
),

order_features as (
    select * from {{ ref('int_order_features') }}
),

category_features as (
    select * from {{ ref('int_category_features') }}
),

event_features as (
    select * from {{ ref('int_event_features') }}
),

review_features as (
    select * from {{ ref('int_review_features') }}
),

refund_features as (
    select * from {{ ref('int_refund_features') }}
),

repayment_features as (
    select * from {{ ref('int_repayment_features') }}
),

final as (
    select
        feature_dates.customer_id,
        feature_dates.feature_date,
        -- Profile
        case
            when customers.first_seen_at < feature_dates.feature_date
                then {{ dbt.datediff('customers.first_seen_at', 'feature_dates.feature_date', 'day') }}
            else 0
        end as tenure_days,
        extract(year from feature_dates.feature_date) - customers.birth_year as age_years,
        customers.region,
        cast(customers.city_tier as {{ dbt.type_string() }}) as city_tier,
        -- Orders: counts and net spend (0 without orders)
        coalesce(order_features.orders_placed_lifetime, 0) as orders_placed_lifetime,
        coalesce(order_features.orders_lifetime, 0) as orders_lifetime,
        coalesce(order_features.orders_30d, 0) as orders_30d,
        coalesce(order_features.orders_90d, 0) as orders_90d,
        coalesce(order_features.orders_365d, 0) as orders_365d,
        coalesce(order_features.net_spend_30d, 0) as net_spend_30d,
        coalesce(order_features.net_spend_90d, 0) as net_spend_90d,
        coalesce(order_features.net_spend_365d, 0) as net_spend_365d,
        coalesce(order_features.net_spend_lifetime, 0) as net_spend_lifetime,
        coalesce(order_features.net_spend_prev_90d, 0) as net_spend_prev_90d,
        -- Seasonality: null when the shop's history does not reach a year before the cut-off
        -- (the models then lean on the other features)
        case
            when {{ dbt.dateadd('day', -365, 'feature_dates.feature_date') }} >= context.first_order_date
                then coalesce(order_features.net_spend_same_period_last_year, 0)
        end as net_spend_same_period_last_year,
        -- Categories
        coalesce(category_features.distinct_categories_lifetime, 0) as distinct_categories_lifetime,
        -- Browsing: sessions and events (0 without events)
        coalesce(event_features.sessions_30d, 0) as sessions_30d,
        coalesce(event_features.sessions_90d, 0) as sessions_90d,
        coalesce(event_features.sessions_365d, 0) as sessions_365d,
        coalesce(event_features.events_90d, 0) as events_90d,
        coalesce(event_features.view_events_90d, 0) as view_events_90d,
        coalesce(event_features.search_events_90d, 0) as search_events_90d,
        coalesce(event_features.add_to_cart_events_90d, 0) as add_to_cart_events_90d,
        coalesce(event_features.favorite_events_90d, 0) as favorite_events_90d,
        coalesce(event_features.checkout_events_90d, 0) as checkout_events_90d,
        -- Reviews: count
        coalesce(review_features.reviews_lifetime, 0) as reviews_lifetime,
        -- Refund documents
        coalesce(refund_features.refunds_lifetime, 0) as refunds_lifetime,
        coalesce(refund_features.refunded_amount_lifetime, 0) as refunded_amount_lifetime,
        coalesce(refund_features.refunded_amount_90d, 0) as refunded_amount_90d,
        -- Instalment credit: usage and arrears (0 without credit)
        coalesce(repayment_features.credit_accounts_lifetime, 0) as credit_accounts_lifetime,
        coalesce(repayment_features.credit_principal_lifetime, 0) as credit_principal_lifetime,
        coalesce(repayment_features.instalments_due, 0) as instalments_due,
        coalesce(repayment_features.instalments_paid_late, 0) as instalments_paid_late,
        coalesce(repayment_features.instalments_30dpd, 0) as instalments_30dpd,
        coalesce(repayment_features.current_days_past_due, 0) as current_days_past_due,
        coalesce(repayment_features.outstanding_balance, 0) as outstanding_balance,
        -- Orders: rates and timing
        order_features.recency_days,
        order_features.days_since_first_order,
        order_features.mean_days_between_orders,
        order_features.std_days_between_orders,
        order_features.net_spend_lifetime / nullif(order_features.orders_lifetime, 0)
            as average_order_value,
        coalesce(order_features.net_spend_90d, 0) - coalesce(order_features.net_spend_prev_90d, 0)
            as spend_trend_90d,
        order_features.cancellation_rate,
        order_features.return_rate,
        order_features.discount_share,
        order_features.instalment_order_share,
        -- Browsing: funnel conversion over the last 90 days
        event_features.days_since_last_event,
        cast(event_features.add_to_cart_events_90d as double) / nullif(event_features.view_events_90d, 0)
            as view_to_cart_rate_90d,
        cast(coalesce(order_features.orders_90d, 0) as double)
        / nullif(event_features.add_to_cart_events_90d, 0) as cart_to_order_rate_90d,
        -- Reviews
        review_features.mean_review_rating,
        review_features.low_rating_share,
        -- Instalment credit
        repayment_features.max_days_past_due,
        cast(repayment_features.instalments_paid_late as double)
        / nullif(repayment_features.instalments_due, 0) as late_instalment_share
    from feature_dates
    cross join context
    left join customers on feature_dates.customer_id = customers.customer_id
    left join order_features
        on
            feature_dates.customer_id = order_features.customer_id
            and feature_dates.feature_date = order_features.feature_date
    left join category_features
        on
            feature_dates.customer_id = category_features.customer_id
            and feature_dates.feature_date = category_features.feature_date
    left join event_features
        on
            feature_dates.customer_id = event_features.customer_id
            and feature_dates.feature_date = event_features.feature_date
    left join review_features
        on
            feature_dates.customer_id = review_features.customer_id
            and feature_dates.feature_date = review_features.feature_date
    left join refund_features
        on
            feature_dates.customer_id = refund_features.customer_id
            and feature_dates.feature_date = refund_features.feature_date
    left join repayment_features
        on
            feature_dates.customer_id = repayment_features.customer_id
            and feature_dates.feature_date = repayment_features.feature_date
)

select * from final
