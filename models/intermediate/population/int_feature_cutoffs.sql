-- The dates features are computed at: window 0 is the scoring date (as_of_date); windows 1..N are
-- past cut-offs spaced one training label window L apart, each with its label over [c, c + L).
-- L is var('training_label_days') when set; otherwise the horizon H when the history holds N + 1
-- windows of H (N label windows and at least one window of feature history before the first),
-- else it shrinks to floor(history / (N + 1)) days, never below var('min_training_label_days').
-- Labels over L are rescaled to H by H / L (a constant-rate assumption, see README).
{%- set n_label_windows = var('n_train_windows') | int + 2 %}
{%- set horizon = var('horizon_days') | int %}

with

extraction as (
    select extracted_at from {{ ref('stg_shop__extraction_manifest') }}
),

orders as (
    select ordered_at from {{ ref('stg_shop__orders') }}
),

history as (
    select
        {%- if var('as_of_date') %}
        cast('{{ var("as_of_date") }}' as date) as as_of_date,
        {%- else %}
        cast(extraction.extracted_at as date) as as_of_date,
        {%- endif %}
        cast(min(orders.ordered_at) as date) as first_order_date
    from extraction
    cross join orders
    group by extraction.extracted_at
),

history_length as (
    select
        as_of_date,
        first_order_date,
        {{ dbt.datediff('first_order_date', 'as_of_date', 'day') }} as history_days
    from history
),

label_window as (
    select
        as_of_date,
        first_order_date,
        history_days,
        {%- if var('training_label_days') %}
        {{ var('training_label_days') | int }} as label_window_days
        {%- else %}
        case
            when history_days >= {{ (n_label_windows + 1) * horizon }} then {{ horizon }}
            else greatest(
                {{ var('min_training_label_days') | int }},
                cast(floor(history_days / {{ n_label_windows + 1 }}) as integer)
            )
        end as label_window_days
        {%- endif %}
    from history_length
),

windows as (
    {%- for window_index in range(n_label_windows + 1) %}
    select {{ window_index }} as window_index{{ " union all" if not loop.last }}
    {%- endfor %}
),

final as (
    select
        windows.window_index,
        cast(
            {{ dbt.dateadd('day', '-1 * windows.window_index * label_window.label_window_days', 'label_window.as_of_date') }}
            as date
        ) as feature_date,
        case when windows.window_index = 0 then 'scoring' else 'training' end as cutoff_role,
        label_window.as_of_date,
        label_window.label_window_days,
        {{ horizon }} as horizon_days,
        label_window.history_days
    from windows
    cross join label_window
)

select * from final
