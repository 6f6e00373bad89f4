-- Per raw table: rows read, rows kept clean, rows quarantined. Every raw row ends in exactly one
-- place, so raw_rows = clean_rows + quarantined_rows (tested).
{%- set tables = ['customers', 'products', 'orders', 'order_items', 'events', 'reviews',
                  'credit_accounts', 'repayments'] %}

with

quarantine as (
    select * from {{ ref('quarantined_rows') }}
),

counts as (
    {%- for table in tables %}
    select
        '{{ table }}' as source_table,
        {{ "true" if shop_source_present(table) else "false" }} as is_source_present,
        (select count(*) from {{ shop_source(table) }}) as raw_rows,
        (select count(*) from {{ ref('stg_shop__' ~ table) }}) as clean_rows,
        (select count(*) from quarantine where source_table = '{{ table }}') as quarantined_rows
    {{ "union all" if not loop.last }}
    {%- endfor %}
),

final as (
    select
        cast(source_table as varchar) as source_table,
        cast(is_source_present as boolean) as is_source_present,
        cast(raw_rows as bigint) as raw_rows,
        cast(clean_rows as bigint) as clean_rows,
        cast(quarantined_rows as bigint) as quarantined_rows
    from counts
)

select * from final
