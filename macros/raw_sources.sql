{#- Raw sources are files under var('raw_data_path'). Only `orders` is mandatory: a missing
    optional table is replaced by an empty, typed relation built from the column list documented in
    _shop__sources.yml, so its features come out empty instead of the build crashing. -#}

{% macro raw_file_path(table_name) -%}
    {{ var('raw_data_path') }}/{{ table_name }}.{{ var('raw_file_format') }}
{%- endmacro %}


{% macro shop_source_present(table_name) -%}
    {{ return(adapter.dispatch('shop_source_present', 'shopper_scores')(table_name)) }}
{%- endmacro %}

{% macro default__shop_source_present(table_name) -%}
    {#- Adapters without a file system view (warehouse tables) treat every source as present. -#}
    {{ return(true) }}
{%- endmacro %}

{% macro duckdb__shop_source_present(table_name) -%}
    {%- if not execute -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set found = run_query("select count(*) from glob('" ~ raw_file_path(table_name) ~ "')") -%}
    {{ return(found.columns[0].values()[0] > 0) }}
{%- endmacro %}


{% macro shop_source(table_name) -%}
    {#- source() is always called so lineage shows the dependency, present or not. Only the
        documented columns are read (undocumented ones are ignored); a documented column the file
        lacks is read as a typed null (check_raw_inputs has already stopped on missing required ones). -#}
    {%- set relation = source('shop', table_name) -%}
    {%- if not execute -%}
        {{ relation }}
    {%- elif not shop_source_present(table_name) -%}
        ({{ empty_shop_source(table_name) }}) as raw_{{ table_name }}
    {%- else -%}
        {%- set available = raw_file_columns(table_name) -%}
        (
            select
            {%- for column in shop_source_node(table_name).columns.values() %}
                {%- if available is none or column.name | lower in available %}
                {{ column.name }}{{ "," if not loop.last }}
                {%- else %}
                cast(null as {{ column.data_type }}) as {{ column.name }}{{ "," if not loop.last }}
                {%- endif %}
            {%- endfor %}
            from {{ read_raw_csv(raw_file_path(table_name)) if var('raw_file_format') == 'csv' else relation }}
        ) as raw_{{ table_name }}
    {%- endif -%}
{%- endmacro %}


{% macro shop_source_node(table_name) -%}
    {{ return(graph.sources.values() | selectattr('source_name', 'equalto', 'shop')
        | selectattr('name', 'equalto', table_name) | first) }}
{%- endmacro %}


{% macro raw_file_columns(table_name) -%}
    {#- Lower-cased column names of a present raw file, or none when they cannot be known. -#}
    {{ return(adapter.dispatch('raw_file_columns', 'shopper_scores')(table_name)) }}
{%- endmacro %}

{% macro default__raw_file_columns(table_name) -%}
    {{ return(none) }}
{%- endmacro %}

{% macro duckdb__raw_file_columns(table_name) -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set path = raw_file_path(table_name) -%}
    {%- set reader = read_raw_csv(path) if var('raw_file_format') == 'csv' else "read_parquet('" ~ path ~ "')" -%}
    {%- set described = run_query("describe select * from " ~ reader) -%}
    {{ return(described.columns[0].values() | map('lower') | list) }}
{%- endmacro %}


{% macro read_raw_csv(path) -%}
    {{ return(adapter.dispatch('read_raw_csv', 'shopper_scores')(path)) }}
{%- endmacro %}

{% macro duckdb__read_raw_csv(path) -%}
    {#- Every CSV value is read as text: a sniffed type would make one bad value ('n/a' in an
        amount column) fail the whole read. Staging casts each value safely and quarantines
        what does not parse (unparseable_value). -#}
    read_csv('{{ path }}', header = true, all_varchar = true)
{%- endmacro %}


{% macro empty_shop_source(table_name) -%}
    select
    {%- for column in shop_source_node(table_name).columns.values() %}
        cast(null as {{ column.data_type }}) as {{ column.name }}{{ "," if not loop.last }}
    {%- endfor %}
    where 1 = 0
{%- endmacro %}


{% macro check_raw_inputs() -%}
    {#- Runs before every dbt run/build: fail early, with a message a user can act on. -#}
    {%- if execute and flags.WHICH in ('run', 'build', 'test') -%}
        {%- if not shop_source_present('orders') -%}
            {{ exceptions.raise_compiler_error(
                "shopper_scores: no raw orders file at '" ~ raw_file_path('orders') ~ "'. "
                ~ "orders is the only mandatory raw table; point var raw_data_path at the directory "
                ~ "holding <table>." ~ var('raw_file_format') ~ " files (see README, 'Raw data').") }}
        {%- endif -%}
        {%- for node in graph.sources.values() if node.source_name == 'shop' and shop_source_present(node.name) -%}
            {%- set available = raw_file_columns(node.name) -%}
            {%- set missing = [] -%}
            {%- for column in node.meta.get('required_columns', []) -%}
                {%- if available is not none and column | lower not in available -%}
                    {%- do missing.append(column) -%}
                {%- endif -%}
            {%- endfor -%}
            {%- if missing -%}
                {{ exceptions.raise_compiler_error(
                    "shopper_scores: raw file '" ~ raw_file_path(node.name) ~ "' lacks required column(s) "
                    ~ missing | join(', ') ~ " (it has: " ~ available | join(', ') ~ "). "
                    ~ "See _shop__sources.yml for the raw layout.") }}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}


{% macro shop_row_tables() -%}
    {#- The raw tables whose rows are cleaned or quarantined (all but the extraction manifest). -#}
    {{ return(['customers', 'products', 'orders', 'order_items', 'events', 'reviews', 'refunds',
               'credit_accounts', 'repayments']) }}
{%- endmacro %}
