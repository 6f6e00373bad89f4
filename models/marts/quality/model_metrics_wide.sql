-- model_metrics pivoted back to one row per (model_name, model_version, as_of_date, split), one
-- column per metric, for BI tools that prefer columns. A view: nothing is stored twice.
with

metrics as (
    select * from {{ ref('model_metrics') }}
),

runs as (
    select distinct
        model_family,
        model_name,
        model_version,
        as_of_date,
        split,
        is_champion,
        train_feature_dates,
        eval_feature_date,
        n_train,
        n as n_eval,
        note
    from metrics
),

pivoted as (
    select
        model_name,
        model_version,
        as_of_date,
        split,
        -- regression
        max(case when metric_name = 'mae' then metric_value end) as mae,
        max(case when metric_name = 'rmse' then metric_value end) as rmse,
        max(case when metric_name = 'r2' then metric_value end) as r2,
        max(case when metric_name = 'spearman' then metric_value end) as spearman,
        max(case when metric_name = 'normalised_gini' then metric_value end) as normalised_gini,
        max(case when metric_name = 'top_decile_capture' then metric_value end) as top_decile_capture,
        -- classification
        max(case when metric_name = 'auc' then metric_value end) as auc,
        max(case when metric_name = 'ks' then metric_value end) as ks,
        max(case when metric_name = 'gini' then metric_value end) as gini,
        max(case when metric_name = 'brier' then metric_value end) as brier,
        max(case when metric_name = 'log_loss' then metric_value end) as log_loss,
        max(case when metric_name = 'event_rate' then metric_value end) as event_rate,
        -- levels
        max(case when metric_name = 'mean_label' then metric_value end) as mean_label,
        max(case when metric_name = 'mean_prediction' then metric_value end) as mean_prediction,
        max(case when metric_name = 'total_ratio' then metric_value end) as total_ratio,
        max(case when metric_name = 'interval_coverage' then metric_value end) as interval_coverage,
        max(case when metric_name = 'hosmer_lemeshow' then metric_value end) as hosmer_lemeshow,
        max(case when metric_name = 'hosmer_lemeshow_df' then metric_value end) as hosmer_lemeshow_df,
        max(case when metric_name = 'hosmer_lemeshow_p_value' then metric_value end) as hosmer_lemeshow_p_value
    from metrics
    group by model_name, model_version, as_of_date, split
),

-- The column order of the wide model_metrics of earlier versions.
final as (
    select
        runs.model_family,
        runs.model_name,
        runs.model_version,
        runs.as_of_date,
        runs.split,
        runs.is_champion,
        runs.train_feature_dates,
        runs.eval_feature_date,
        runs.n_train,
        runs.n_eval,
        pivoted.mae,
        pivoted.rmse,
        pivoted.r2,
        pivoted.spearman,
        pivoted.normalised_gini,
        pivoted.top_decile_capture,
        pivoted.auc,
        pivoted.ks,
        pivoted.gini,
        pivoted.brier,
        pivoted.log_loss,
        pivoted.event_rate,
        pivoted.mean_label,
        pivoted.mean_prediction,
        runs.note,
        -- metrics added after the wide layout
        pivoted.total_ratio,
        pivoted.interval_coverage,
        pivoted.hosmer_lemeshow,
        pivoted.hosmer_lemeshow_df,
        pivoted.hosmer_lemeshow_p_value
    from runs
    inner join pivoted
        on
            runs.model_name = pivoted.model_name
            and runs.model_version = pivoted.model_version
            and runs.as_of_date = pivoted.as_of_date
            and runs.split = pivoted.split
)

select * from final
