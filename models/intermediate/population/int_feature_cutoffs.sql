-- The dates features are computed at: window 0 is the scoring date (as_of_date); windows
-- 1 .. n_label_windows are past cut-offs one training label window L apart, each with its label
-- over [c, c + L). cutoff_role names each window's part in the out-of-time protocol, which the
-- training models read instead of assuming window numbers: test = the test stage's holdout (the
-- latest complete window, ending at as_of_date), validation = the validation stage's holdout,
-- training = older windows that are only ever fitted on.
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
        end as cutoff_role
    from windows
    cross join context
)

select * from final
