-- The one scoring context every model reads (SQL and Python): the scoring date, the horizon, the
-- training label window L and the protocol's window counts and credit windows. Nothing downstream
-- derives any of these again.
-- as_of_date is var('as_of_date') when set, else the extraction manifest's date (never now()).
-- L is var('training_label_days') when set; otherwise the horizon H when the history holds
-- n_label_windows + 1 windows of H (the label windows and at least one window of feature history
-- before the first), else it shrinks to floor(history / (n_label_windows + 1)) days, never below
-- var('min_training_label_days'). The ML package decides how labels over L relate to H.
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

final as (
    select
        -- the dbt invocation that built this context: every mart copies it, so marts left at
        -- different cut-offs by an interrupted build are detectable (and never published)
        '{{ invocation_id }}' as context_run_id,
        -- scoring date and history
        as_of_date,
        first_order_date,
        history_days,
        -- purchasing power: horizon, training label window, protocol windows
        {{ horizon }} as horizon_days,
        {%- if var('training_label_days') %}
        {{ var('training_label_days') | int }} as label_window_days,
        {%- else %}
        case
            when history_days >= {{ (n_label_windows() + 1) * horizon }} then {{ horizon }}
            else greatest(
                {{ var('min_training_label_days') | int }},
                cast(floor(history_days / {{ n_label_windows() + 1 }}) as integer)
            )
        end as label_window_days,
        {%- endif %}
        {{ var('n_train_windows') | int }} as n_train_windows,
        {{ n_label_windows() }} as n_label_windows,
        -- credit: default rule and out-of-time cohorts
        {{ var('credit_performance_months') | int }} as credit_performance_months,
        {{ var('credit_default_dpd') | int }} as credit_default_dpd,
        {{ var('credit_cohort_days') | int }} as credit_cohort_days
    from history_length
)

select * from final
