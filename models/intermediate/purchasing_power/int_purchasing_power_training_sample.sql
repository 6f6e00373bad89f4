-- Which labelled (customer, cut-off) rows the purchasing-power fits and metrics read, so that the
-- Python model's memory is bounded by the caps, not by the number of customers.
-- Training (per window, quota = training_sample_rows / n_train_windows, as a stage stacks
-- n_train_windows windows): a window within its quota is kept whole (weight 1). A larger one is
-- split into two strata, heavy spenders (label at or above the window's 90th percentile and
-- positive) and the rest; the heavy stratum gets up to half the quota, the rest the remainder, and
-- every row carries the weight 1 / inclusion rate of its stratum, used by the fits.
-- Evaluation (every window a stage may be evaluated at: all but the oldest, which has no older
-- window to fit on): a plain uniform sample of up to evaluation_sample_rows, so the metrics need
-- no weights; its size is the n of the metric rows.
-- Draws: md5 of (customer, cut-off, seed), the same on every engine (macros/sampling.sql).
with

context as (
    select * from {{ ref('int_scoring_context') }}
),

labels as (
    select * from {{ ref('int_purchasing_power_labels') }}
),

windows as (
    select
        labels.window_index,
        count(*) as window_rows,
        percentile_cont(0.9) within group (order by labels.label_net_spend_in_window)
            as heavy_spend_threshold
    from labels
    group by labels.window_index
),

drawn as (
    select
        labels.customer_id,
        labels.feature_date,
        labels.window_index,
        labels.cutoff_role,
        windows.window_rows,
        case
            when
                labels.label_net_spend_in_window > 0
                and labels.label_net_spend_in_window >= windows.heavy_spend_threshold
                then 'heavy'
            else 'rest'
        end as sample_stratum,
        {{ hash_uniform(sample_key(['labels.customer_id', 'labels.feature_date'])) }} as sample_draw
    from labels
    inner join windows on labels.window_index = windows.window_index
),

strata as (
    select
        window_index,
        sum(case when sample_stratum = 'heavy' then 1 else 0 end) as heavy_rows,
        sum(case when sample_stratum = 'rest' then 1 else 0 end) as rest_rows
    from drawn
    group by window_index
),

quotas as (
    select
        strata.window_index,
        strata.heavy_rows,
        strata.rest_rows,
        cast({{ var('training_sample_rows') }} as double) / context.n_train_windows as training_quota,
        cast({{ var('evaluation_sample_rows') }} as double) as evaluation_quota
    from strata
    cross join context
),

heavy_rates as (
    select
        window_index,
        heavy_rows,
        rest_rows,
        training_quota,
        evaluation_quota,
        case
            when heavy_rows + rest_rows <= training_quota or heavy_rows <= training_quota / 2 then 1.0
            else (training_quota / 2) / heavy_rows
        end as heavy_inclusion_rate
    from quotas
),

rates as (
    select
        window_index,
        heavy_inclusion_rate,
        case
            when heavy_rows + rest_rows <= training_quota or rest_rows = 0 then 1.0
            else least(1.0, (training_quota - heavy_rows * heavy_inclusion_rate) / rest_rows)
        end as rest_inclusion_rate,
        least(1.0, evaluation_quota / (heavy_rows + rest_rows)) as evaluation_inclusion_rate
    from heavy_rates
),

flagged as (
    select
        drawn.customer_id,
        drawn.feature_date,
        drawn.window_index,
        drawn.cutoff_role,
        drawn.window_rows,
        drawn.sample_stratum,
        case
            when drawn.sample_stratum = 'heavy' then rates.heavy_inclusion_rate
            else rates.rest_inclusion_rate
        end as training_inclusion_rate,
        rates.evaluation_inclusion_rate,
        drawn.window_index < context.n_label_windows as is_evaluable,
        drawn.sample_draw
    from drawn
    inner join rates on drawn.window_index = rates.window_index
    cross join context
),

final as (
    select
        customer_id,
        feature_date,
        window_index,
        cutoff_role,
        window_rows,
        sample_stratum,
        training_inclusion_rate,
        evaluation_inclusion_rate,
        -- Rates of exactly 1 keep every row whatever its draw (a draw is < 1).
        sample_draw < training_inclusion_rate as in_training_sample,
        is_evaluable and sample_draw < evaluation_inclusion_rate as in_evaluation_sample,
        1.0 / training_inclusion_rate as sample_weight
    from flagged
    where
        sample_draw < training_inclusion_rate
        or (is_evaluable and sample_draw < evaluation_inclusion_rate)
)

select * from final
