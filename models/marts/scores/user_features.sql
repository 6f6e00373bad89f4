-- The point-in-time features of every customer at as_of_date: what the score models read.
with

features as (
    select * from {{ ref('int_user_features_point_in_time') }}
),

context as (
    select * from {{ ref('int_scoring_context') }}
),

final as (
    select
        features.customer_id,
        context.as_of_date,
        cast(context.context_run_id as {{ dbt.type_string() }}) as context_run_id,
        cast(features.tenure_days as integer) as tenure_days,
        cast(features.age_years as integer) as age_years,
        cast(features.region as {{ dbt.type_string() }}) as region,
        cast(features.city_tier as {{ dbt.type_string() }}) as city_tier,
        cast(features.orders_placed_lifetime as bigint) as orders_placed_lifetime,
        cast(features.orders_lifetime as bigint) as orders_lifetime,
        cast(features.orders_30d as bigint) as orders_30d,
        cast(features.orders_90d as bigint) as orders_90d,
        cast(features.orders_365d as bigint) as orders_365d,
        cast(features.net_spend_30d as double) as net_spend_30d,
        cast(features.net_spend_90d as double) as net_spend_90d,
        cast(features.net_spend_365d as double) as net_spend_365d,
        cast(features.net_spend_lifetime as double) as net_spend_lifetime,
        cast(features.net_spend_prev_90d as double) as net_spend_prev_90d,
        cast(features.net_spend_same_period_last_year as double) as net_spend_same_period_last_year,
        cast(features.distinct_categories_lifetime as bigint) as distinct_categories_lifetime,
        cast(features.sessions_30d as bigint) as sessions_30d,
        cast(features.sessions_90d as bigint) as sessions_90d,
        cast(features.sessions_365d as bigint) as sessions_365d,
        cast(features.events_90d as bigint) as events_90d,
        cast(features.view_events_90d as bigint) as view_events_90d,
        cast(features.search_events_90d as bigint) as search_events_90d,
        cast(features.add_to_cart_events_90d as bigint) as add_to_cart_events_90d,
        cast(features.favorite_events_90d as bigint) as favorite_events_90d,
        cast(features.checkout_events_90d as bigint) as checkout_events_90d,
        cast(features.reviews_lifetime as bigint) as reviews_lifetime,
        cast(features.refunds_lifetime as bigint) as refunds_lifetime,
        cast(features.refunded_amount_lifetime as double) as refunded_amount_lifetime,
        cast(features.refunded_amount_90d as double) as refunded_amount_90d,
        cast(features.credit_accounts_lifetime as bigint) as credit_accounts_lifetime,
        cast(features.credit_principal_lifetime as double) as credit_principal_lifetime,
        cast(features.instalments_due as bigint) as instalments_due,
        cast(features.instalments_paid_late as bigint) as instalments_paid_late,
        cast(features.instalments_30dpd as bigint) as instalments_30dpd,
        cast(features.current_days_past_due as bigint) as current_days_past_due,
        cast(features.outstanding_balance as double) as outstanding_balance,
        cast(features.recency_days as bigint) as recency_days,
        cast(features.days_since_first_order as bigint) as days_since_first_order,
        cast(features.mean_days_between_orders as double) as mean_days_between_orders,
        cast(features.std_days_between_orders as double) as std_days_between_orders,
        cast(features.average_order_value as double) as average_order_value,
        cast(features.spend_trend_90d as double) as spend_trend_90d,
        cast(features.cancellation_rate as double) as cancellation_rate,
        cast(features.return_rate as double) as return_rate,
        cast(features.discount_share as double) as discount_share,
        cast(features.instalment_order_share as double) as instalment_order_share,
        cast(features.days_since_last_event as bigint) as days_since_last_event,
        cast(features.view_to_cart_rate_90d as double) as view_to_cart_rate_90d,
        cast(features.cart_to_order_rate_90d as double) as cart_to_order_rate_90d,
        cast(features.mean_review_rating as double) as mean_review_rating,
        cast(features.low_rating_share as double) as low_rating_share,
        cast(features.max_days_past_due as bigint) as max_days_past_due,
        cast(features.late_instalment_share as double) as late_instalment_share
    from features
    inner join context on features.feature_date = context.as_of_date
)

select * from final
