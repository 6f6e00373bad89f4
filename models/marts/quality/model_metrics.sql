-- Quality of every model version, one row per (model_name, model_version, as_of_date, split).
-- Incremental: later runs add rows (a rerun of the same version replaces its own rows), so
-- quality can be watched over time. Only `dbt build --full-refresh` wipes the history.
{{ config(
    materialized='incremental',
    unique_key=['model_name', 'model_version', 'as_of_date', 'split'],
    incremental_strategy='delete+insert',
    on_schema_change='fail',
) }}

{%- set regression = ['mae', 'rmse', 'r2', 'spearman', 'normalised_gini', 'top_decile_capture'] %}
{%- set classification = ['auc', 'ks', 'gini', 'brier', 'log_loss', 'event_rate'] %}

with

purchasing_power as (
    select * from {{ ref('ml_purchasing_power_training') }}
),

credit as (
    select * from {{ ref('ml_credit_training') }}
),

unioned as (
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
        {%- for metric in regression %}
        {{ metric }},
        {%- endfor %}
        {%- for metric in classification %}
        cast(null as double) as {{ metric }},
        {%- endfor %}
        mean_label,
        mean_prediction,
        note
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
        {%- for metric in regression %}
        cast(null as double) as {{ metric }},
        {%- endfor %}
        {%- for metric in classification %}
        {{ metric }},
        {%- endfor %}
        event_rate as mean_label,
        mean_prediction,
        note
    from credit
),

final as (
    select
        cast(model_family as varchar) as model_family,
        cast(model_name as varchar) as model_name,
        cast(model_version as varchar) as model_version,
        cast(as_of_date as date) as as_of_date,
        cast(split as varchar) as split,
        cast(is_champion as boolean) as is_champion,
        cast(train_feature_dates as varchar) as train_feature_dates,
        cast(eval_feature_date as varchar) as eval_feature_date,
        cast(n_train as bigint) as n_train,
        cast(n_eval as bigint) as n_eval,
        {%- for metric in regression + classification %}
        cast({{ metric }} as double) as {{ metric }},
        {%- endfor %}
        cast(mean_label as double) as mean_label,
        cast(mean_prediction as double) as mean_prediction,
        cast(note as varchar) as note
    from unioned
)

select * from final
