{#- Helpers of the long-form model_metrics table. -#}

{% macro nan_to_null(expression) -%}
    {#- Undefined metrics are NULL, never NaN (NaN breaks averages and comparisons in BI tools). -#}
    {{ return(adapter.dispatch('nan_to_null', 'shopper_scores')(expression)) }}
{%- endmacro %}

{% macro default__nan_to_null(expression) -%}
    {#- For engines where NaN differs from itself; those that order NaN as equal to itself
        (DuckDB, PostgreSQL) need a dispatch of their own, like duckdb__nan_to_null. -#}
    case when {{ expression }} <> {{ expression }} then null else {{ expression }} end
{%- endmacro %}

{% macro duckdb__nan_to_null(expression) -%}
    {#- DuckDB orders NaN as equal to itself, so the portable x <> x test does not find it. -#}
    case when isnan({{ expression }}) then null else {{ expression }} end
{%- endmacro %}


{% macro legacy_wide_model_metrics_relation() -%}
    {#- Where an earlier, wide model_metrics table is kept once migrated (see
        migrate_wide_model_metrics); none when there is nothing to migrate. -#}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(adapter.get_relation(database=target.database, schema=target.schema,
                                   identifier='model_metrics_wide_legacy')) }}
{%- endmacro %}


{% macro migrate_wide_model_metrics() -%}
    {#- Runs before every run/build (on-run-start). model_metrics was one wide row per
        (model, version, date, split) up to project version 0.1; it is now long (one row per
        metric). When model_metrics is selected and a wide table is found in its place, that table
        is renamed to model_metrics_wide_legacy, so the build of model_metrics starts the long
        table with its rows: history is migrated, not dropped (a --full-refresh build drops it, as
        full refreshes drop history). The legacy table stays as a backup; delete it once checked. -#}
    {%- set wide_columns = [
        'model_family', 'model_name', 'model_version', 'as_of_date', 'split', 'is_champion',
        'train_feature_dates', 'eval_feature_date', 'n_train', 'n_eval', 'mae', 'rmse', 'r2',
        'spearman', 'normalised_gini', 'top_decile_capture', 'auc', 'ks', 'gini', 'brier',
        'log_loss', 'event_rate', 'mean_label', 'mean_prediction', 'note'] -%}
    {%- if execute and flags.WHICH in ('run', 'build')
          and 'model.shopper_scores.model_metrics' in selected_resources -%}
        {%- set current = adapter.get_relation(database=target.database, schema=target.schema,
                                               identifier='model_metrics') -%}
        {%- if current is not none -%}
            {%- set columns = adapter.get_columns_in_relation(current) | map(attribute='name')
                              | map('lower') | list -%}
            {%- if 'metric_name' not in columns -%}
                {%- set legacy = current.incorporate(path={'identifier': 'model_metrics_wide_legacy'}) -%}
                {%- if columns != wide_columns -%}
                    {{ exceptions.raise_compiler_error(
                        "shopper_scores: " ~ current ~ " is neither the long model_metrics nor the wide "
                        ~ "layout of earlier versions (" ~ wide_columns | join(', ') ~ "); it has: "
                        ~ columns | join(', ') ~ ". Move it away before building.") }}
                {%- endif -%}
                {%- if legacy_wide_model_metrics_relation() is not none -%}
                    {{ exceptions.raise_compiler_error(
                        "shopper_scores: both a wide model_metrics and " ~ legacy
                        ~ " exist; move one of them away before building.") }}
                {%- endif -%}
                {%- do adapter.rename_relation(current, legacy) -%}
                {%- do adapter.commit() -%}
                {{ log("shopper_scores: the wide model_metrics of an earlier version was renamed to "
                       ~ legacy ~ "; its rows are migrated into the long model_metrics.", info=true) }}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
    select 1
{%- endmacro %}
