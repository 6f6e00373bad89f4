-- Quality of every model version in long form: one row per (model_name, model_version,
-- as_of_date, split, metric_name). A new metric is a new row of seed model_metric_definitions,
-- never a new column, so the history survives every later metric. Incremental: later runs add
-- rows (a rerun of the same model version and date replaces all its rows, whatever metrics it
-- has now); only --full-refresh wipes history.
-- A wide table of an earlier version is migrated once (macro migrate_wide_model_metrics). The
-- incremental key is the run, not the metric: delete+insert replaces every row of a rerun.
{{ config(
    materialized='incremental',
    unique_key=['model_name', 'model_version', 'as_of_date', 'split'],
    incremental_strategy='delete+insert',
    on_schema_change='fail',
) }}
{%- set legacy = legacy_wide_model_metrics_relation() %}
{%- set migrate_legacy = legacy is not none and not is_incremental() and not flags.FULL_REFRESH %}

with

purchasing_power as (
    select * from {{ ref('ml_purchasing_power_training') }}
),

credit as (
    select * from {{ ref('ml_credit_training') }}
),

{%- if migrate_legacy %}

legacy as (
    select * from {{ legacy }}
),
{%- endif %}

metric_definitions as (
    select * from {{ ref('model_metric_definitions') }}
),

-- One wide row per (model, version, date, split) of either family, in the column order of the
-- wide table of earlier versions (so its rows, when migrated, union as they are).
runs as (
    select
        'purchasing_power' as model_family,
        model_name,
        model_version,
        cast(as_of_date as date) as as_of_date,
        stage as split,
        is_champion,
        train_feature_dates,
        eval_feature_date,
        n_train,
        n_eval,
        -- regression
        mae,
        rmse,
        r2,
        spearman,
        normalised_gini,
        top_decile_capture,
        -- classification
        cast(null as double) as auc,
        cast(null as double) as ks,
        cast(null as double) as gini,
        cast(null as double) as brier,
        cast(null as double) as log_loss,
        cast(null as double) as event_rate,
        -- levels
        mean_label,
        mean_prediction,
        note,
        -- added after the wide layout (its migrated rows have none)
        total_ratio,
        interval_coverage,
        cast(null as double) as hosmer_lemeshow,
        cast(null as double) as hosmer_lemeshow_df,
        cast(null as double) as hosmer_lemeshow_p_value
    from purchasing_power

    union all

    select
        'credit' as model_family,
        model_name,
        model_version,
        cast(as_of_date as date) as as_of_date,
        stage as split,
        is_champion,
        train_feature_dates,
        eval_feature_date,
        n_train,
        n_eval,
        -- regression
        cast(null as double) as mae,
        cast(null as double) as rmse,
        cast(null as double) as r2,
        cast(null as double) as spearman,
        cast(null as double) as normalised_gini,
        cast(null as double) as top_decile_capture,
        -- classification
        auc,
        ks,
        gini,
        brier,
        log_loss,
        event_rate,
        -- levels: a default rate has no separate label mean (the wide table repeated event_rate)
        cast(null as double) as mean_label,
        mean_prediction,
        note,
        cast(null as double) as total_ratio,
        cast(null as double) as interval_coverage,
        hosmer_lemeshow,
        hosmer_lemeshow_df,
        hosmer_lemeshow_p_value
    from credit
),
{%- if migrate_legacy %}

-- The history of the wide table of an earlier version, except the rows this run replaces. Its
-- columns are those of runs, in order (migrate_wide_model_metrics checked them), up to note.
history as (
    select * from runs
    union all
    select
        legacy.*,
        cast(null as double) as total_ratio,
        cast(null as double) as interval_coverage,
        cast(null as double) as hosmer_lemeshow,
        cast(null as double) as hosmer_lemeshow_df,
        cast(null as double) as hosmer_lemeshow_p_value
    from legacy
    left join runs
        on
            legacy.model_name = runs.model_name
            and legacy.model_version = runs.model_version
            and legacy.as_of_date = runs.as_of_date
            and legacy.split = runs.split
    where runs.model_name is null
),
{%- else %}

history as (
    select * from runs
),
{%- endif %}

-- One row per metric of the run's family (seed model_metric_definitions).
long_form as (
    select
        history.model_family,
        history.model_name,
        history.model_version,
        history.as_of_date,
        history.split,
        metric_definitions.metric_name,
        case metric_definitions.metric_name
            when 'mae' then history.mae
            when 'rmse' then history.rmse
            when 'r2' then history.r2
            when 'spearman' then history.spearman
            when 'normalised_gini' then history.normalised_gini
            when 'top_decile_capture' then history.top_decile_capture
            when 'mean_label' then history.mean_label
            when 'auc' then history.auc
            when 'ks' then history.ks
            when 'gini' then history.gini
            when 'brier' then history.brier
            when 'log_loss' then history.log_loss
            when 'event_rate' then history.event_rate
            when 'mean_prediction' then history.mean_prediction
            when 'total_ratio' then history.total_ratio
            when 'interval_coverage' then history.interval_coverage
            when 'hosmer_lemeshow' then history.hosmer_lemeshow
            when 'hosmer_lemeshow_df' then history.hosmer_lemeshow_df
            when 'hosmer_lemeshow_p_value' then history.hosmer_lemeshow_p_value
        end as metric_value,
        history.n_eval,
        history.is_champion,
        history.n_train,
        history.train_feature_dates,
        history.eval_feature_date,
        history.note
    from history
    inner join metric_definitions on history.model_family = metric_definitions.model_family
),

final as (
    select
        -- keys
        cast(model_family as varchar) as model_family,
        cast(model_name as varchar) as model_name,
        cast(model_version as varchar) as model_version,
        cast(as_of_date as date) as as_of_date,
        cast(split as varchar) as split,
        cast(metric_name as varchar) as metric_name,
        -- the metric and the rows it was computed on
        cast({{ nan_to_null('metric_value') }} as double) as metric_value,
        cast(n_eval as bigint) as n,
        -- the run
        cast(is_champion as boolean) as is_champion,
        cast(n_train as bigint) as n_train,
        cast(train_feature_dates as varchar) as train_feature_dates,
        cast(eval_feature_date as varchar) as eval_feature_date,
        cast(note as varchar) as note
    from long_form
)

select * from final
