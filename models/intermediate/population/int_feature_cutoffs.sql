-- The dates features are computed at: window 0 is the scoring date (as_of_date); windows
-- 1 .. n_label_windows are past cut-offs one training label window L apart, each with its label
-- over [c, c + L). cutoff_role names each window's part in the out-of-time protocol, which the
-- training models read instead of assuming window numbers: test = the test stage's holdout (the
-- latest complete window, ending at as_of_date), validation = the validation stage's holdout,
-- training = older windows that are only ever fitted on.
-- horizon_label_days: the longest span, up to the horizon H, over which a label window's spend can
-- be observed without reaching into the test window [as_of_date - L, as_of_date) (the test
-- window's own span stops at as_of_date): min(H, L) for windows 1 and 2, min(H, (k - 1) x L) for
-- an older window k. The ML package checks how its forecasts extrapolate to H on these spans.
with

context as (
    select * from {{ ref('int_scoring_context') }}
),

windows as (
    {%- for window_index in range(n_label_windows() + 1) %}
    select {{ window_index }} as window_index{{ " union all" if not loop.last }}
    {%- endfor %}
),

final as (
    select
        windows.window_index,
        cast(
            {{ dbt.dateadd('day', '-1 * windows.window_index * context.label_window_days', 'context.as_of_date') }}
            as date
        ) as feature_date,
        case windows.window_index
            when 0 then 'scoring'
            when 1 then 'test'
            when 2 then 'validation'
            else 'training'
        end as cutoff_role,
        case
            when windows.window_index = 0 then null
            when windows.window_index = 1 then least(context.horizon_days, context.label_window_days)
            else least(context.horizon_days, (windows.window_index - 1) * context.label_window_days)
        end as horizon_label_days
    from windows
    cross join context
)

select * from final
