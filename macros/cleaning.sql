{#- Small, portable cleaning helpers used by the base models. The safe_* casts give null for a
    value that does not parse; a base model keeps each raw value beside its typed one, and a raw
    value present whose typed value is null is unparseable_value. -#}

{% macro clean_id(column) -%}
    {#- Ids are compared as trimmed text, whatever type the source used; blanks become null.
        Integer ids that went through a float column on export ('10.0') are read as '10'. -#}
    nullif(
        regexp_replace(trim(cast({{ column }} as {{ dbt.type_string() }})), '^([0-9]+)\.0+$', '\1'),
        ''
    )
{%- endmacro %}


{% macro clean_code(column) -%}
    {#- Codes (region, event_type, payment_method, ...) are trimmed and lower-cased. -#}
    nullif(lower(trim(cast({{ column }} as {{ dbt.type_string() }}))), '')
{%- endmacro %}


{% macro safe_cast(column, type) -%}
    {#- A cast that gives null instead of failing, so staging can quarantine what does not parse.
        (dbt-duckdb's dbt.safe_cast renders a plain cast, which fails the whole model.) -#}
    {{ return(adapter.dispatch('safe_cast', 'shopper_scores')(column, type)) }}
{%- endmacro %}

{% macro default__safe_cast(column, type) -%}
    {{ dbt.safe_cast(column, type) }}
{%- endmacro %}

{% macro duckdb__safe_cast(column, type) -%}
    try_cast({{ column }} as {{ type }})
{%- endmacro %}


{% macro safe_timestamp(column) -%}
    {{ return(adapter.dispatch('safe_timestamp', 'shopper_scores')(column)) }}
{%- endmacro %}

{% macro default__safe_timestamp(column) -%}
    {{ safe_cast(column, api.Column.translate_type('timestamp')) }}
{%- endmacro %}

{% macro duckdb__safe_timestamp(column) -%}
    {#- Through timestamptz, so a value with a UTC offset ('2024-01-01T10:00:00+02:00') becomes
        its UTC wall time (08:00) and a naive value is read as UTC (the profile sets
        TimeZone=UTC). A direct cast to timestamp would silently drop the offset. -#}
    try_cast(try_cast({{ column }} as timestamptz) as timestamp)
{%- endmacro %}


{% macro safe_number(column) -%}
    {{ safe_cast(column, 'double') }}
{%- endmacro %}


{% macro safe_integer(column) -%}
    {{ safe_cast(column, api.Column.translate_type('integer')) }}
{%- endmacro %}


{% macro row_key(columns) -%}
    {#- Text key of a raw row for the quarantine: key values joined with '|', 'null' for nulls. -#}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- do parts.append("coalesce(cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), 'null')") -%}
        {%- if not loop.last %}{% do parts.append("'|'") %}{% endif -%}
    {%- endfor -%}
    {{ dbt.concat(parts) }}
{%- endmacro %}
