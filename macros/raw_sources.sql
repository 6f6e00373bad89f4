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
    {#- source() is always called so lineage shows the dependency, present or not. -#}
    {%- set relation = source('shop', table_name) -%}
    {%- if not shop_source_present(table_name) -%}
        ({{ empty_shop_source(table_name) }})
    {%- elif var('raw_file_format') == 'csv' -%}
        {{ read_raw_csv(raw_file_path(table_name)) }}
    {%- else -%}
        {{ relation }}
    {%- endif -%}
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
    {%- set node = graph.sources.values() | selectattr('source_name', 'equalto', 'shop')
        | selectattr('name', 'equalto', table_name) | first -%}
    select
    {%- for column in node.columns.values() %}
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
    {%- endif -%}
    select 1
{%- endmacro %}
