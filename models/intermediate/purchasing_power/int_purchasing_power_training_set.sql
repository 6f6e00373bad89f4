-- Features at each sampled past cut-off joined to the label over the window that follows it: the
-- net spend over the label window L (label_window_spend) and L itself; the ML package scales it.
-- The horizon label (spend over horizon_label_days, up to H) is for evaluation only, never a feature.
-- Only the rows of int_purchasing_power_training_sample, with their sample flags and weights.
with

labels as (
    select * from {{ ref('int_purchasing_power_labels') }}
),

sample as (
    select * from {{ ref('int_purchasing_power_training_sample') }}
),

features as (
    select * from {{ ref('int_user_features_point_in_time') }}
),

final as (
    select
        labels.window_index,
        labels.cutoff_role,
        labels.label_window_days,
        labels.label_net_spend_in_window as label_window_spend,
        labels.horizon_label_days,
        labels.horizon_label_net_spend as horizon_label_spend,
        -- the sample design
        sample.window_rows,
        sample.sample_stratum,
        sample.in_training_sample,
        sample.in_evaluation_sample,
        sample.sample_weight,
        features.*
    from labels
    inner join sample
        on
            labels.customer_id = sample.customer_id
            and labels.feature_date = sample.feature_date
    inner join features
        on
            labels.customer_id = features.customer_id
            and labels.feature_date = features.feature_date
)

select * from final
