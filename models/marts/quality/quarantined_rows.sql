-- Every raw row that did not make it into a clean staging model, with its table, key and the
-- first check it failed. Together with the clean models it accounts for every raw row
-- (see raw_row_accounting).
{%- set tables = shop_row_tables() %}
{#- The key a row is quarantined under (macro row_key: its key columns as text, joined with '|'),
    written here for the quarantined rows only. order_items and repayments write theirs in the base
    model, from the number as read: a line or instalment number such as 1.5 or 1e12 is rejected,
    and its integer column no longer holds it. -#}
{%- set key_columns = {
    'customers': ['customer_id'], 'products': ['product_id'], 'orders': ['order_id'], 'events': ['event_id'],
    'reviews': ['review_id'], 'refunds': ['refund_id'], 'credit_accounts': ['credit_account_id']} %}

with

{% for table in tables -%}
{{ table }} as (
    select * from {{ ref('base_shop__' ~ table) }}
    where rejection_reason is not null
),

{% endfor -%}

extraction as (
    select extracted_at from {{ ref('stg_shop__extraction_manifest') }}
),

unioned as (
    {%- for table in tables %}
    select
        '{{ table }}' as source_table,
        {{ row_key(key_columns[table]) if table in key_columns else 'row_key' }} as row_key,
        rejection_reason
    from {{ table }}
    {{ "union all" if not loop.last }}
    {%- endfor %}
),

final as (
    select
        cast(unioned.source_table as {{ dbt.type_string() }}) as source_table,
        cast(unioned.row_key as {{ dbt.type_string() }}) as row_key,
        cast(unioned.rejection_reason as {{ dbt.type_string() }}) as rejection_reason,
        extraction.extracted_at,
        -- the build that judged the row: the publisher requires the scoring context's build
        '{{ invocation_id }}' as build_run_id
    from unioned
    cross join extraction
)

select * from final
