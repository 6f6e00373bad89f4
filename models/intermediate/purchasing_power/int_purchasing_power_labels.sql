-- Label of each past cut-off c (window_index >= 1): net spend over [c, c + L) = amount - discount
-- of orders placed in the window and not cancelled before its end, minus refunds dated in the
-- window (also for orders placed earlier) and refund documents dated in the window. The spend
-- stays over L: how it relates to the horizon H is the ML package's decision, made in one place.
-- The same net spend over [c, c + horizon_label_days) (int_feature_cutoffs: up to H, clear of the
-- test window) is the horizon label, on which the package checks how forecasts grow to H.
with

context as (
    select * from {{ ref('int_scoring_context') }}
),

cutoffs as (
    select * from {{ ref('int_feature_cutoffs') }}
    where cutoff_role != 'scoring'
),

population as (
    select * from {{ ref('int_customer_feature_dates') }}
),

orders as (
    select * from {{ ref('int_orders_sequenced') }}
),

refunds as (
    select * from {{ ref('stg_shop__refunds') }}
),

windows as (
    select
        population.customer_id,
        cutoffs.feature_date,
        cutoffs.window_index,
        cutoffs.cutoff_role,
        context.label_window_days,
        cast({{ dbt.dateadd('day', 'context.label_window_days', 'cutoffs.feature_date') }} as date)
            as label_end_date,
        cutoffs.horizon_label_days,
        cast({{ dbt.dateadd('day', 'cutoffs.horizon_label_days', 'cutoffs.feature_date') }} as date)
            as horizon_label_end_date
    from cutoffs
    cross join context
    inner join population on cutoffs.feature_date = population.feature_date
),

-- Both spans start at c; the join reaches to the later of their ends.
spans as (
    select
        *,
        case
            when horizon_label_end_date > label_end_date then horizon_label_end_date else label_end_date
        end as span_end_date
    from windows
),

orders_in_windows as (
    select
        spans.customer_id,
        spans.feature_date,
        coalesce(
            orders.ordered_at >= spans.feature_date
            and orders.ordered_at < spans.label_end_date
            and not coalesce(orders.cancelled_at < spans.label_end_date, false),
            false
        ) as is_counted,
        coalesce(
            orders.ordered_at >= spans.feature_date
            and orders.ordered_at < spans.horizon_label_end_date
            and not coalesce(orders.cancelled_at < spans.horizon_label_end_date, false),
            false
        ) as is_counted_in_horizon_span,
        orders.order_amount - orders.discount_amount as order_net_amount,
        case
            when
                orders.returned_at >= spans.feature_date
                and orders.returned_at < spans.label_end_date
                then orders.refund_amount
            else 0
        end as refund_in_window,
        case
            when
                orders.returned_at >= spans.feature_date
                and orders.returned_at < spans.horizon_label_end_date
                then orders.refund_amount
            else 0
        end as refund_in_horizon_span
    from spans
    inner join orders
        on
            spans.customer_id = orders.customer_id
            and orders.ordered_at < spans.span_end_date
            and (orders.ordered_at >= spans.feature_date or orders.returned_at >= spans.feature_date)
),

spend as (
    select
        customer_id,
        feature_date,
        {{ exact_sum('case when is_counted then order_net_amount else 0 end') }}
        - {{ exact_sum('refund_in_window') }} as net_spend_in_window,
        sum(case when is_counted then 1 else 0 end) as orders_in_window,
        {{ exact_sum('case when is_counted_in_horizon_span then order_net_amount else 0 end') }}
        - {{ exact_sum('refund_in_horizon_span') }} as net_spend_in_horizon_span
    from orders_in_windows
    group by customer_id, feature_date
),

refunds_in_windows as (
    select
        spans.customer_id,
        spans.feature_date,
        {{ exact_sum('case when refunds.refunded_at < spans.label_end_date then refunds.refund_amount else 0 end') }}
            as refunded_in_window,
        {{ exact_sum(
            'case when refunds.refunded_at < spans.horizon_label_end_date then refunds.refund_amount else 0 end'
        ) }} as refunded_in_horizon_span
    from spans
    inner join refunds
        on
            spans.customer_id = refunds.customer_id
            and refunds.refunded_at >= spans.feature_date
            and refunds.refunded_at < spans.span_end_date
    group by spans.customer_id, spans.feature_date
),

net_spend as (
    select
        windows.customer_id,
        windows.feature_date,
        coalesce(spend.orders_in_window, 0) as orders_in_window,
        coalesce(spend.net_spend_in_window, 0) - coalesce(refunds_in_windows.refunded_in_window, 0)
            as net_spend_in_window,
        coalesce(spend.net_spend_in_horizon_span, 0)
        - coalesce(refunds_in_windows.refunded_in_horizon_span, 0) as net_spend_in_horizon_span
    from windows
    left join spend
        on
            windows.customer_id = spend.customer_id
            and windows.feature_date = spend.feature_date
    left join refunds_in_windows
        on
            windows.customer_id = refunds_in_windows.customer_id
            and windows.feature_date = refunds_in_windows.feature_date
),

final as (
    select
        windows.customer_id,
        windows.feature_date,
        windows.window_index,
        windows.cutoff_role,
        windows.label_window_days,
        windows.label_end_date,
        net_spend.orders_in_window as label_orders_in_window,
        net_spend.net_spend_in_window as label_net_spend_in_window,
        windows.horizon_label_days,
        windows.horizon_label_end_date,
        net_spend.net_spend_in_horizon_span as horizon_label_net_spend
    from windows
    inner join net_spend
        on
            windows.customer_id = net_spend.customer_id
            and windows.feature_date = net_spend.feature_date
)

select * from final
