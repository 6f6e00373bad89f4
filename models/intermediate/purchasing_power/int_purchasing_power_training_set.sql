-- Features at each past cut-off joined to the label over the window that follows it: the net
-- spend over the label window L (label_window_spend) and L itself; the ML package scales it.
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
        labels.cutoff_role,
        labels.label_window_days,
        labels.label_net_spend_in_window as label_window_spend,
        features.*
    from labels
    inner join features
        on
            labels.customer_id = features.customer_id
            and labels.feature_date = features.feature_date
)

select * from final
