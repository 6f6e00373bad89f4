-- One row per (customer_id, feature_date): every feature computed only from data strictly before
-- feature_date. One definition serves the scoring date, the training cut-offs and the credit
-- account openings. Counts are 0 when a customer has no such activity (or the source table is
-- absent); rates, averages and recencies are null when undefined.
{%- set zero_if_missing = {
    'order_features': [
        'orders_placed_lifetime', 'orders_lifetime', 'orders_30d', 'orders_90d', 'orders_365d',
        'net_spend_30d', 'net_spend_90d', 'net_spend_365d', 'net_spend_lifetime',
        'net_spend_prev_90d'],
    'category_features': ['distinct_categories_lifetime'],
    'event_features': [
        'sessions_30d', 'sessions_90d', 'sessions_365d', 'events_90d', 'view_events_90d',
        'search_events_90d', 'add_to_cart_events_90d', 'favorite_events_90d',
        'checkout_events_90d'],
    'review_features': ['reviews_lifetime'],
    'refund_features': ['refunds_lifetime', 'refunded_amount_lifetime', 'refunded_amount_90d'],
    'repayment_features': [
        'credit_accounts_lifetime', 'credit_principal_lifetime', 'instalments_due',
        'instalments_paid_late', 'instalments_30dpd', 'current_days_past_due',
        'outstanding_balance'],
} %}

with

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

joined as (
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
        {%- for model_name, columns in zero_if_missing.items() %}
        {%- for column in columns %}
        coalesce({{ model_name }}.{{ column }}, 0) as {{ column }},
        {%- endfor %}
        {%- endfor %}
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
        event_features.add_to_cart_events_90d * 1.0 / nullif(event_features.view_events_90d, 0)
            as view_to_cart_rate_90d,
        coalesce(order_features.orders_90d, 0) * 1.0
        / nullif(event_features.add_to_cart_events_90d, 0) as cart_to_order_rate_90d,
        -- Reviews
        review_features.mean_review_rating,
        review_features.low_rating_share,
        -- Instalment credit
        repayment_features.max_days_past_due,
        repayment_features.instalments_paid_late * 1.0
        / nullif(repayment_features.instalments_due, 0) as late_instalment_share
    from feature_dates
    left join customers on feature_dates.customer_id = customers.customer_id
    {%- for model_name in zero_if_missing.keys() %}
    left join {{ model_name }}
        on
            feature_dates.customer_id = {{ model_name }}.customer_id
            and feature_dates.feature_date = {{ model_name }}.feature_date
    {%- endfor %}
)

select * from joined
