-- The moment the data was cut (one row): every base model quarantines what is dated after it.
-- The manifest's extracted_at when it is usable: parseable, not before the first order, and not
-- after the moment this build started (an extraction cannot lie in the future: a 2099 manifest
-- would make every future-dated row clean). A manifest far after the last order is kept (the
-- user's word on the cut) and int_scoring_context warns that the H days before it hold no order.
-- Otherwise the fallback is the end of the main order history (fallback_main_history), which can
-- never lie after the real data: raw order days are split at the day where the order rate drops
-- most clearly (two-rate Poisson change point, maximum likelihood), and the tail after it is
-- dropped when its rate is at most 1 / var('cut_fallback_min_rate_drop') of the rate before it
-- and it spans more than one day (a partial last day stays); the cut is never after the build's start.
-- A planted order years later, or a sparse trickle of future-dated ones, is such a tail; a
-- seasonal shop's pauses are not (the tail holds the next seasons). Without any usable order
-- time either, var('as_of_date') stands in (cut_basis 'var'); without it the post-hook stops.
-- The post-hook warns whenever the manifest was not used, saying why and what was used instead.
{{ config(
    materialized='table',
    post_hook="{{ check_extraction_cut() }}",
) }}
{%- set plausible_from = var('earliest_plausible_date', '1990-01-01') %}
{%- set raw_types = raw_column_types('orders') %}

with

manifest_rows as (
    select
        extracted_at as raw_extracted_at,
        {{ safe_timestamp('extracted_at') }} as extracted_at
    from {{ shop_source('extraction_manifest') }}
),

-- One pass over the raw orders: per order day, with the rows whose time is missing or does not
-- parse in the null day.
raw_order_days as (
    select
        cast({{ safe_timestamp('ordered_at', raw=raw_types) }} as date) as order_date,
        count(*) as raw_orders,
        count(ordered_at) as raw_times,
        min({{ safe_timestamp('ordered_at', raw=raw_types) }}) as first_ordered_at,
        max({{ safe_timestamp('ordered_at', raw=raw_types) }}) as last_ordered_at
    from {{ shop_source('orders') }}
    group by cast({{ safe_timestamp('ordered_at', raw=raw_types) }} as date)
),

-- Days that can date activity: parsed, not before the plausibility floor, finite.
order_days as (
    select
        order_date,
        raw_orders as orders,
        first_ordered_at,
        last_ordered_at
    from raw_order_days
    where
        order_date >= cast('{{ plausible_from }}' as date)
        and order_date < cast('9999-01-01' as date)
),

order_span as (
    select
        min(order_date) as first_date,
        max(order_date) as last_date,
        sum(orders) as total_orders
    from order_days
),

cumulative as (
    select
        order_days.order_date,
        order_days.last_ordered_at,
        sum(order_days.orders) over (
            order by order_days.order_date rows between unbounded preceding and current row
        ) as head_orders,
        {{ dbt.datediff('order_span.first_date', 'order_days.order_date', 'day') }} + 1 as head_days,
        {{ dbt.datediff('order_days.order_date', 'order_span.last_date', 'day') }} as tail_days,
        order_span.total_orders
    from order_days
    cross join order_span
),

-- Each day but the last two as a candidate end of the main history (a split after that day): a
-- tail of one day is never dropped, so a partial last day (an extraction soon after midnight)
-- keeps its orders.
splits as (
    select
        order_date,
        last_ordered_at,
        total_orders - head_orders as tail_orders,
        head_orders * ln(cast(head_orders as double) / head_days)
        + (total_orders - head_orders) * ln(cast(total_orders - head_orders as double) / nullif(tail_days, 0))
            as log_likelihood
    from cumulative
    where
        tail_days > 1
        and cast(total_orders - head_orders as double) / nullif(tail_days, 0) * {{ var('cut_fallback_min_rate_drop') }}
        <= cast(head_orders as double) / head_days
),

best_split as (
    select
        order_date,
        last_ordered_at,
        tail_orders,
        row_number() over (order by log_likelihood desc, order_date desc) as split_rank
    from splits
),

main_history as (
    select
        coalesce(max(best_split.last_ordered_at), max(order_days.last_ordered_at)) as main_history_end_at,
        min(order_days.first_ordered_at) as first_ordered_at,
        max(order_days.last_ordered_at) as last_ordered_at,
        cast(coalesce(max(best_split.tail_orders), 0) as bigint) as orders_after_main_history
    from order_days
    left join best_split on best_split.split_rank = 1
    having count(*) > 0
),

order_counts as (
    select
        cast(coalesce(sum(raw_orders), 0) as bigint) as raw_orders,
        cast(coalesce(sum(case when order_date is null then raw_times end), 0) as bigint) as orders_unparseable_time,
        cast(coalesce(sum(raw_orders - raw_times), 0) as bigint) as orders_missing_time
    from raw_order_days
),

manifest as (
    select
        {{ 'true' if shop_source_present('extraction_manifest') else 'false' }} as is_manifest_present,
        count(*) as manifest_rows,
        count(raw_extracted_at) as manifest_values,
        max(extracted_at) as manifest_extracted_at
    from manifest_rows
),

judged as (
    select
        manifest.manifest_extracted_at,
        main_history.main_history_end_at,
        main_history.last_ordered_at,
        main_history.orders_after_main_history,
        order_counts.raw_orders,
        order_counts.orders_unparseable_time,
        order_counts.orders_missing_time,
        case
            when not manifest.is_manifest_present then 'missing'
            when manifest.manifest_rows = 0 then 'empty'
            when manifest.manifest_values = 0 then 'null'
            when manifest.manifest_extracted_at is null then 'unparseable'
            when manifest.manifest_extracted_at < main_history.first_ordered_at then 'before_first_order'
            when manifest.manifest_extracted_at > cast('{{ build_started_at() }}' as {{ api.Column.translate_type('timestamp') }})
                then 'after_build_time'
            else 'usable'
        end as manifest_status
    from manifest
    cross join order_counts
    left join main_history on true
),

final as (
    select
        case
            when manifest_status = 'usable' then manifest_extracted_at
            -- else the end of the main order history, never after this build started
            when main_history_end_at is not null
                then least(
                    main_history_end_at,
                    cast('{{ build_started_at() }}' as {{ api.Column.translate_type('timestamp') }})
                )
            {%- if var('as_of_date') %}
            else cast('{{ var("as_of_date") }}' as timestamp)
            {%- endif %}
        end as extracted_at,
        case
            when manifest_status = 'usable' then 'manifest'
            when main_history_end_at is not null then 'fallback_main_history'
            {%- if var('as_of_date') %}
            else 'var'
            {%- endif %}
        end as cut_basis,
        manifest_status,
        manifest_status = 'usable' as is_from_manifest,
        manifest_extracted_at,
        main_history_end_at,
        last_ordered_at,
        orders_after_main_history,
        raw_orders,
        orders_unparseable_time,
        orders_missing_time
    from judged
)

select * from final
