-- Features at each past cut-off joined to the label over the window that follows it.
with

labels as (
    select * from {{ ref('int_purchasing_power_labels') }}
),

features as (
    select * from {{ ref('int_user_features_point_in_time') }}
),

final as (
    select
        labels.window_index,
        labels.label_window_days,
        -- `label` is the ML package's name for the target.
        labels.label_net_spend as label,  -- noqa: RF04
        features.*
    from labels
    inner join features
        on
            labels.customer_id = features.customer_id
            and labels.feature_date = features.feature_date
)

select * from final
