-- The one scoring context every model reads (SQL and Python): the scoring date, the horizon, the
-- training label window L and the protocol's window counts and credit windows. Nothing downstream
-- derives any of these again.
-- as_of_date is var('as_of_date') when set, else the date of the extraction cut (never now()):
-- the manifest's extracted_at, or the end of the main order history when the manifest is not
-- usable (see stg_shop__extraction_manifest). cut_basis records which rule gave it.
-- L is var('training_label_days') when set; otherwise the horizon H when the history holds
-- n_label_windows + 1 windows of H (the label windows and at least one window of feature history
-- before the first), else it shrinks to floor(history / (n_label_windows + 1)) days, never below
-- var('min_training_label_days'). The ML package decides how labels over L relate to H.
-- The post-hook stops the build when no clean order remains or none falls in the label windows
-- (every label would be 0), and warns when none falls in the H days before as_of_date.
{{ config(post_hook="{{ check_scoring_context() }}") }}
{%- set horizon = var('horizon_days') | int %}

with

extraction as (
    select * from {{ ref('stg_shop__extraction_manifest') }}
),

orders as (
    select ordered_at from {{ ref('stg_shop__orders') }}
),

order_summary as (
    select
        count(*) as clean_orders,
        cast(min(ordered_at) as date) as first_order_date,
        cast(max(ordered_at) as date) as last_order_date
    from orders
),

history as (
    select
        {%- if var('as_of_date') %}
        cast('{{ var("as_of_date") }}' as date) as as_of_date,
        'var' as cut_basis,
        {%- else %}
        cast(extraction.extracted_at as date) as as_of_date,
        extraction.cut_basis,
        {%- endif %}
        extraction.cut_basis as extraction_cut_basis,
        extraction.manifest_status,
        extraction.extracted_at,
        order_summary.clean_orders,
        order_summary.first_order_date,
        order_summary.last_order_date
    from extraction
    cross join order_summary
),

history_length as (
    select
        *,
        {{ dbt.datediff('first_order_date', 'as_of_date', 'day') }} as history_days
    from history
),

windows as (
    select
        *,
        {%- if var('training_label_days') %}
        {{ var('training_label_days') | int }} as label_window_days
        {%- else %}
        case
            when history_days >= {{ (n_label_windows() + 1) * horizon }} then {{ horizon }}
            else greatest(
                {{ var('min_training_label_days') | int }},
                cast(floor(history_days / {{ n_label_windows() + 1 }}) as integer)
            )
        end as label_window_days
        {%- endif %}
    from history_length
),

-- Clean orders where the labels and the latest features look: cheap counts, one pass.
recent_orders as (
    select
        count(
            case
                when
                    orders.ordered_at >= {{ dbt.dateadd('day', -1 * horizon, 'windows.as_of_date') }}
                    and orders.ordered_at < windows.as_of_date
                    then 1
            end
        ) as clean_orders_in_horizon_before,
        count(
            case
                when
                    orders.ordered_at >= {{ dbt.dateadd(
                        'day', '-1 * ' ~ n_label_windows() ~ ' * windows.label_window_days', 'windows.as_of_date') }}
                    and orders.ordered_at < windows.as_of_date
                    then 1
            end
        ) as clean_orders_in_label_windows
    from windows
    cross join orders
),

final as (
    select
        -- the dbt invocation that built this context: every mart copies it, so marts left at
        -- different cut-offs by an interrupted build are detectable (and never published)
        '{{ invocation_id }}' as context_run_id,
        -- when that invocation started (UTC): the time the scores read from this context were
        -- computed (as_of_date is the date of the data they rest on)
        cast('{{ build_started_at() }}' as {{ api.Column.translate_type('timestamp') }}) as scored_at,
        -- scoring date, how it was chosen, and history
        windows.as_of_date,
        windows.cut_basis,
        windows.extraction_cut_basis,
        windows.manifest_status,
        windows.extracted_at,
        windows.first_order_date,
        windows.last_order_date,
        windows.history_days,
        windows.clean_orders,
        recent_orders.clean_orders_in_horizon_before,
        recent_orders.clean_orders_in_label_windows,
        -- purchasing power: horizon, training label window, protocol windows
        {{ horizon }} as horizon_days,
        windows.label_window_days,
        {{ var('n_train_windows') | int }} as n_train_windows,
        {{ n_label_windows() }} as n_label_windows,
        -- credit: default rule and out-of-time cohorts
        {{ var('credit_performance_months') | int }} as credit_performance_months,
        {{ var('credit_default_dpd') | int }} as credit_default_dpd,
        {{ var('credit_cohort_days') | int }} as credit_cohort_days
    from windows
    cross join recent_orders
)

select * from final
