-- Order behaviour of each (customer, feature_date), from orders placed strictly before
-- feature_date and lifecycle states dated strictly before it (an order cancelled or returned
-- later still counts as live at feature_date). Money is summed exactly (macro exact_sum): the
-- features are the same in every build, whatever order the engine's threads add rows in.
-- net_spend_same_period_last_year: the net spend of the H days that began a year before the
-- cut-off, [c - 365, c - 365 + H) (seasonality; int_user_features_point_in_time nulls it when the
-- shop's history does not reach back that far).
with

context as (
    select * from {{ ref('int_scoring_context') }}
),

feature_dates as (
    select * from {{ ref('int_customer_feature_dates') }}
),

orders as (
    select * from {{ ref('int_orders_sequenced') }}
),

orders_as_of as (
    select
        feature_dates.customer_id,
        feature_dates.feature_date,
        orders.order_amount,
        orders.discount_amount,
        orders.is_instalment,
        orders.days_since_previous_order,
        context.horizon_days,
        {{ dbt.datediff('orders.ordered_at', 'feature_dates.feature_date', 'day') }} as days_before,
        coalesce(orders.cancelled_at < feature_dates.feature_date, false) as is_cancelled,
        coalesce(orders.delivered_at < feature_dates.feature_date, false) as is_delivered,
        coalesce(orders.returned_at < feature_dates.feature_date, false) as is_returned,
        case
            when orders.cancelled_at < feature_dates.feature_date then 0
            when orders.returned_at < feature_dates.feature_date
                then orders.order_amount - orders.discount_amount - orders.refund_amount
            else orders.order_amount - orders.discount_amount
        end as net_amount
    from feature_dates
    cross join context
    inner join orders
        on
            feature_dates.customer_id = orders.customer_id
            and orders.ordered_at < feature_dates.feature_date
),

final as (
    select
        customer_id,
        feature_date,
        count(*) as orders_placed_lifetime,
        sum(case when not is_cancelled then 1 else 0 end) as orders_lifetime,
        {%- for days in [30, 90, 365] %}
        sum(case when not is_cancelled and days_before <= {{ days }} then 1 else 0 end)
            as orders_{{ days }}d,
        {{ exact_sum('case when days_before <= ' ~ days ~ ' then net_amount else 0 end') }}
            as net_spend_{{ days }}d,
        {%- endfor %}
        {{ exact_sum('net_amount') }} as net_spend_lifetime,
        {{ exact_sum('case when days_before > 90 and days_before <= 180 then net_amount else 0 end') }}
            as net_spend_prev_90d,
        {{ exact_sum('case when days_before > 365 - horizon_days and days_before <= 365 then net_amount else 0 end') }}
            as net_spend_same_period_last_year,
        min(case when not is_cancelled then days_before end) as recency_days,
        max(days_before) as days_since_first_order,
        {{ exact_mean_of_integers('days_since_previous_order') }} as mean_days_between_orders,
        {{ exact_stddev_samp_of_integers('days_since_previous_order') }} as std_days_between_orders,
        cast(sum(case when is_cancelled then 1 else 0 end) as double) / count(*) as cancellation_rate,
        cast(sum(case when is_returned then 1 else 0 end) as double)
        / nullif(sum(case when is_delivered then 1 else 0 end), 0) as return_rate,
        {{ exact_sum('discount_amount') }} / nullif({{ exact_sum('order_amount') }}, 0) as discount_share,
        cast(sum(case when is_instalment then 1 else 0 end) as double) / count(*) as instalment_order_share
    from orders_as_of
    group by customer_id, feature_date
)

select * from final
