-- Label of each past cut-off c (window_index >= 1): net spend over [c, c + L) = amount - discount
-- of orders placed in the window and not cancelled before its end, minus refunds dated in the
-- window (also for orders placed earlier). label_net_spend rescales it to the horizon (x H / L).
with

cutoffs as (
    select * from {{ ref('int_feature_cutoffs') }}
    where window_index >= 1
),

population as (
    select * from {{ ref('int_customer_feature_dates') }}
),

orders as (
    select * from {{ ref('int_orders_sequenced') }}
),

windows as (
    select
        population.customer_id,
        cutoffs.feature_date,
        cutoffs.window_index,
        cutoffs.label_window_days,
        cutoffs.horizon_days,
        cast({{ dbt.dateadd('day', 'cutoffs.label_window_days', 'cutoffs.feature_date') }} as date)
            as label_end_date
    from cutoffs
    inner join population on cutoffs.feature_date = population.feature_date
),

orders_in_windows as (
    select
        windows.customer_id,
        windows.feature_date,
        coalesce(
            orders.ordered_at >= windows.feature_date
            and orders.ordered_at < windows.label_end_date
            and not coalesce(orders.cancelled_at < windows.label_end_date, false),
            false
        ) as is_counted,
        orders.order_amount - orders.discount_amount as order_net_amount,
        case
            when
                orders.returned_at >= windows.feature_date
                and orders.returned_at < windows.label_end_date
                then orders.refund_amount
            else 0
        end as refund_in_window
    from windows
    inner join orders
        on
            windows.customer_id = orders.customer_id
            and orders.ordered_at < windows.label_end_date
            and (orders.ordered_at >= windows.feature_date or orders.returned_at >= windows.feature_date)
),

spend as (
    select
        customer_id,
        feature_date,
        sum(case when is_counted then order_net_amount else 0 end) - sum(refund_in_window)
            as net_spend_in_window,
        sum(case when is_counted then 1 else 0 end) as orders_in_window
    from orders_in_windows
    group by customer_id, feature_date
),

final as (
    select
        windows.customer_id,
        windows.feature_date,
        windows.window_index,
        windows.label_window_days,
        windows.label_end_date,
        coalesce(spend.orders_in_window, 0) as label_orders_in_window,
        coalesce(spend.net_spend_in_window, 0) as label_net_spend_in_window,
        coalesce(spend.net_spend_in_window, 0) * windows.horizon_days * 1.0
        / windows.label_window_days as label_net_spend
    from windows
    left join spend
        on
            windows.customer_id = spend.customer_id
            and windows.feature_date = spend.feature_date
)

select * from final
