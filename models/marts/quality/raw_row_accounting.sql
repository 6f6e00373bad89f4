-- Per raw table: rows read, rows kept clean, rows quarantined. Every raw row ends in exactly one
-- place, so raw_rows = clean_rows + quarantined_rows (tested).
{%- set tables = shop_row_tables() %}

with

quarantine as (
    select * from {{ ref('quarantined_rows') }}
),

raw_counts as (
    {%- for table in tables %}
    select
        '{{ table }}' as source_table,
        {{ "true" if shop_source_present(table) else "false" }} as is_source_present,
        count(*) as raw_rows
    from {{ shop_source(table) }}
    {{ "union all" if not loop.last }}
    {%- endfor %}
),

clean_counts as (
    {%- for table in tables %}
    select
        '{{ table }}' as source_table,
        count(*) as clean_rows
    from {{ ref('stg_shop__' ~ table) }}
    {{ "union all" if not loop.last }}
    {%- endfor %}
),

quarantine_counts as (
    select
        source_table,
        count(*) as quarantined_rows
    from quarantine
    group by source_table
),

final as (
    select
        cast(raw_counts.source_table as {{ dbt.type_string() }}) as source_table,
        cast(raw_counts.is_source_present as boolean) as is_source_present,
        cast(raw_counts.raw_rows as bigint) as raw_rows,
        cast(clean_counts.clean_rows as bigint) as clean_rows,
        cast(coalesce(quarantine_counts.quarantined_rows, 0) as bigint) as quarantined_rows,
        -- the build that counted them: the publisher requires the scoring context's build
        '{{ invocation_id }}' as build_run_id
    from raw_counts
    inner join clean_counts on raw_counts.source_table = clean_counts.source_table
    left join quarantine_counts on raw_counts.source_table = quarantine_counts.source_table
)

select * from final
