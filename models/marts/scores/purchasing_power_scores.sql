-- Purchasing power of every customer at as_of_date: predicted net spend over the next
-- horizon_days, its percentile rank (0-100) and the named tier of that rank; beside it the
-- buy-till-you-die decomposition (expected orders, P(alive), expected order value), the 80 %
-- prediction interval (10th-90th percentile) and the top drivers of the prediction as text.
-- Each of these is null when the champion carries no such part (see the yml).
with

predictions as (
    select * from {{ ref('ml_purchasing_power_scoring') }}
),

context as (
    select * from {{ ref('int_scoring_context') }}
),

tiers as (
    select * from {{ ref('purchasing_power_tiers') }}
),

ranked as (
    select
        customer_id,
        predicted_spend,
        expected_orders,
        p_alive,
        expected_order_value,
        predicted_spend_p10,
        predicted_spend_p90,
        top_drivers,
        model_name,
        model_version,
        100.0 * percent_rank() over (order by predicted_spend) as percentile
    from predictions
),

final as (
    select
        cast(ranked.customer_id as varchar) as customer_id,
        context.as_of_date,
        cast(context.context_run_id as varchar) as context_run_id,
        cast(context.horizon_days as integer) as horizon_days,
        cast(ranked.predicted_spend as double) as predicted_spend,
        cast(round(ranked.percentile, 2) as double) as purchasing_power_score,
        cast(tiers.tier as varchar) as purchasing_power_tier,
        cast(ranked.expected_orders as double) as expected_orders,
        cast(ranked.p_alive as double) as p_alive,
        cast(ranked.expected_order_value as double) as expected_order_value,
        cast(ranked.predicted_spend_p10 as double) as predicted_spend_p10,
        cast(ranked.predicted_spend_p90 as double) as predicted_spend_p90,
        cast(ranked.top_drivers as varchar) as top_drivers,
        cast(ranked.model_name as varchar) as model_name,
        cast(ranked.model_version as varchar) as model_version
    from ranked
    cross join context
    left join tiers
        on
            round(ranked.percentile, 2) >= tiers.min_score
            and round(ranked.percentile, 2) < tiers.max_score_exclusive
)

select * from final
