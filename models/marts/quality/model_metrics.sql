-- Quality of every model version in long form: one row per (model_name, model_version,
-- as_of_date, split, metric_name). A new metric is a new row of seed model_metric_definitions,
-- never a new column, so the history survives every later metric. Incremental: later runs add
-- rows (a rerun of the same version replaces its own rows); only --full-refresh wipes history.
-- A wide table of an earlier version is migrated once (macro migrate_wide_model_metrics).
{{ config(
    materialized='incremental',
    unique_key=['model_name', 'model_version', 'as_of_date', 'split', 'metric_name'],
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

-- One wide row per (model, version, date, split) of either family.
runs as (
    select
        'purchasing_power' as model_family,
        model_name,
        model_version,
        as_of_date,
        stage as split,
        is_champion,
        train_feature_dates,
        eval_feature_date,
        n_train,
        n_eval,
        note,
        -- regression
        mae,
        rmse,
        r2,
        spearman,
        normalised_gini,
        top_decile_capture,
        mean_label,
        -- classification
        cast(null as double) as auc,
        cast(null as double) as ks,
        cast(null as double) as gini,
        cast(null as double) as brier,
        cast(null as double) as log_loss,
        cast(null as double) as event_rate,
        -- both
        mean_prediction
    from purchasing_power

    union all

    select
        'credit' as model_family,
        model_name,
        model_version,
        as_of_date,
        stage as split,
        is_champion,
        train_feature_dates,
        eval_feature_date,
        n_train,
        n_eval,
        note,
        -- regression
        cast(null as double) as mae,
        cast(null as double) as rmse,
        cast(null as double) as r2,
        cast(null as double) as spearman,
        cast(null as double) as normalised_gini,
        cast(null as double) as top_decile_capture,
        cast(null as double) as mean_label,
        -- classification
        auc,
        ks,
        gini,
        brier,
        log_loss,
        event_rate,
        -- both
        mean_prediction
    from credit
    {%- if migrate_legacy %}

    union all

    -- History of the wide table of an earlier version (same columns), except rows this run
    -- replaces.
    select
        legacy.model_family,
        legacy.model_name,
        legacy.model_version,
        legacy.as_of_date,
        legacy.split,
        legacy.is_champion,
        legacy.train_feature_dates,
        legacy.eval_feature_date,
        legacy.n_train,
        legacy.n_eval,
        legacy.note,
        -- regression
        legacy.mae,
        legacy.rmse,
        legacy.r2,
        legacy.spearman,
        legacy.normalised_gini,
        legacy.top_decile_capture,
        legacy.mean_label,
        -- classification
        legacy.auc,
        legacy.ks,
        legacy.gini,
        legacy.brier,
        legacy.log_loss,
        legacy.event_rate,
        -- both
        legacy.mean_prediction
    from legacy
    where not exists (
        select 1
        from purchasing_power
        where
            purchasing_power.model_name = legacy.model_name
            and purchasing_power.model_version = legacy.model_version
            and cast(purchasing_power.as_of_date as date) = legacy.as_of_date
            and purchasing_power.stage = legacy.split
    )
    and not exists (
        select 1
        from credit
        where
            credit.model_name = legacy.model_name
            and credit.model_version = legacy.model_version
            and cast(credit.as_of_date as date) = legacy.as_of_date
            and credit.stage = legacy.split
    )
    {%- endif %}
),

-- One row per metric of the run's family (seed model_metric_definitions).
long_form as (
    select
        runs.model_family,
        runs.model_name,
        runs.model_version,
        runs.as_of_date,
        runs.split,
        metric_definitions.metric_name,
        case metric_definitions.metric_name
            when 'mae' then runs.mae
            when 'rmse' then runs.rmse
            when 'r2' then runs.r2
            when 'spearman' then runs.spearman
            when 'normalised_gini' then runs.normalised_gini
            when 'top_decile_capture' then runs.top_decile_capture
            when 'mean_label' then runs.mean_label
            when 'auc' then runs.auc
            when 'ks' then runs.ks
            when 'gini' then runs.gini
            when 'brier' then runs.brier
            when 'log_loss' then runs.log_loss
            when 'event_rate' then runs.event_rate
            when 'mean_prediction' then runs.mean_prediction
        end as metric_value,
        runs.n_eval,
        runs.is_champion,
        runs.n_train,
        runs.train_feature_dates,
        runs.eval_feature_date,
        runs.note
    from runs
    inner join metric_definitions on runs.model_family = metric_definitions.model_family
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
