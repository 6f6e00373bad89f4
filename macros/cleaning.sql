{#- Small, portable cleaning helpers used by the base models. The safe_* casts give null for a
    value that does not parse; a base model keeps each raw value beside its typed one, and a raw
    value present whose typed value is null is unparseable_value. -#}

{% macro clean_id(column, raw=none) -%}
    {#- Ids are compared as trimmed text, whatever type the source used; blanks become null.
        Integer ids that went through a float column on export ('10.0') are read as '10'.
        raw: the raw file's column types (raw_column_types), for the integer fast path. -#}
    {%- if is_integer_type(raw_column_type(raw, column)) -%}
    cast({{ column }} as {{ dbt.type_string() }})
    {%- else -%}
    nullif(
        {{ id_text(column) }},
        ''
    )
    {%- endif -%}
{%- endmacro %}


{% macro id_text(column) -%}
    {#- An id as text, with a '.0' left by a float column on export removed. -#}
    {{ return(adapter.dispatch('id_text', 'shopper_scores')(column)) }}
{%- endmacro %}

{% macro default__id_text(column) -%}
    regexp_replace(trim(cast({{ column }} as {{ dbt.type_string() }})), '^([0-9]+)\.0+$', '\1')
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


{% macro safe_timestamp(column, raw=none) -%}
    {#- raw: the raw file's column types; a naive timestamp column there is already what this gives. -#}
    {%- if raw_column_type(raw, column) == 'TIMESTAMP' -%}
        {{ return(column) }}
    {%- endif -%}
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


{% macro rank_duplicates(relation, key, survivor_order) -%}
    {#- The body of a base model's `ranked` CTE: every row of `relation` with duplicate_rank. Of
        the clean rows (row_level_reason null) sharing the `key` columns, the first in
        `survivor_order` (column names, each optionally with desc; every term sorts nulls last)
        has rank 1, the others 2, 3, ... (duplicate); every other row has rank 1. Only the clean
        rows whose key repeats go through the window: a group-by finds those few, where a window
        over every row sorted tens of millions of rows to find a handful of duplicates. A row that
        fails a row-level check keeps that reason, so it needs no rank. A clean row's key is never
        null (null_key comes first), so a repeated key has no null column. -#}
    {%- set joined = [] -%}
    {%- for column in key -%}
        {%- do joined.append(relation ~ "." ~ column ~ " = repeated_keys." ~ column) -%}
    {%- endfor %}
    with repeated_keys as (
        select {{ key | join(', ') }}
        from {{ relation }}
        where row_level_reason is null
        group by {{ key | join(', ') }}
        having count(*) > 1
    )

    select
        {{ relation }}.*,
        1 as duplicate_rank
    from {{ relation }}
    left join repeated_keys on {{ joined | join(' and ') }}
    where {{ relation }}.row_level_reason is not null or repeated_keys.{{ key[0] }} is null

    union all

    select
        {{ relation }}.*,
        row_number() over (
            partition by {{ relation }}.{{ key | join(', ' ~ relation ~ '.') }}
            order by {{ relation }}.{{ survivor_order | join(' nulls last, ' ~ relation ~ '.') }} nulls last
        ) as duplicate_rank
    from {{ relation }}
    inner join repeated_keys on {{ joined | join(' and ') }}
    where {{ relation }}.row_level_reason is null
{%- endmacro %}


{% macro safe_count(column) -%}
    {#- A count-like (integer) column is parsed as a number, not as an integer: a cast to integer
        would round 1.5 (and CSV text and Parquet doubles round differently). The base model
        rejects a fractional value (is_fractional: non_integer_value) and converts the rest to
        integer in its final select (safe_integer). -#}
    {{ safe_number(column) }}
{%- endmacro %}


{#- The checks below are boolean SQL expressions for a base model's rejection `case`. Each is
    null when the value is null, so it never fires on a missing value. -#}

{% macro is_non_finite(column) -%}
    {#- NaN, +Infinity or -Infinity, in a number or a date/timestamp (non_finite_value). -#}
    {{ return(adapter.dispatch('is_non_finite', 'shopper_scores')(column)) }}
{%- endmacro %}

{% macro default__is_non_finite(column) -%}
    lower(cast({{ column }} as {{ dbt.type_string() }})) in ('nan', 'infinity', '-infinity', 'inf', '-inf')
{%- endmacro %}

{% macro duckdb__is_non_finite(column) -%}
    not isfinite({{ column }})
{%- endmacro %}


{% macro is_fractional(column) -%}
    {#- A number with a fractional part in a count-like column (non_integer_value). -#}
    {{ column }} <> floor({{ column }})
{%- endmacro %}


{% macro is_outside_integer_range(column) -%}
    {#- A whole number too large for an integer column (invalid_value, never a silent null). -#}
    ({{ column }} < -2147483648 or {{ column }} > 2147483647)
{%- endmacro %}


{% macro is_implausibly_early(column) -%}
    {#- A date or timestamp before var earliest_plausible_date (implausible_date): 'epoch',
        year 0 or 1, 1800, 1900... are placeholders or corruption, not dates the shop saw. -#}
    {{ column }} < cast('{{ var("earliest_plausible_date") }}' as {{ api.Column.translate_type('timestamp') }})
{%- endmacro %}


{% macro has_control_character(column, raw=none) -%}
    {#- An id or a code holding a control character (NUL, BEL, tab, newline, ...: invalid_value):
        it would not match its parent or its code list, and breaks the files it is exported to.
        raw: the raw file's column types; an integer column there holds digits only. -#}
    {%- if is_integer_type(raw_column_type(raw, column)) -%}
        {{ return('false') }}
    {%- endif -%}
    {{ return(adapter.dispatch('has_control_character', 'shopper_scores')(column)) }}
{%- endmacro %}

{% macro default__has_control_character(column) -%}
    {{ column }} ~ '[[:cntrl:]]'
{%- endmacro %}

{% macro duckdb__has_control_character(column) -%}
    {#- C0 controls and DEL ([[:cntrl:]] is ASCII only), and the C1 controls U+0080-U+009F. -#}
    regexp_matches({{ column }}, '[[:cntrl:]\x{80}-\x{9f}]')
{%- endmacro %}


{#- Fast paths for typed raw files. A Parquet column's type is known when the model compiles
    (from the file's metadata): an integer id needs no trimming, no '.0' repair and no control
    character check, and a naive timestamp needs no parsing. At tens of millions of rows those
    string operations were most of staging's time. A model reads its raw file's types once,
    `{%- set raw_types = raw_column_types('<table>') %}`, and passes raw=raw_types to the macros
    that use them; CSV and text columns take the general path. -#}

{% macro raw_column_types(table_name) -%}
    {#- {lower-cased column name: upper-case type} of a present Parquet file read by DuckDB, from
        its metadata; {} where every column takes the general path (CSV, another engine, no file). -#}
    {%- set types = {} -%}
    {%- if execute and var('raw_file_format') != 'csv' and target.type == 'duckdb'
        and shop_source_present(table_name) -%}
        {%- for name, data_type in raw_parquet_schema(table_name).items() -%}
            {%- do types.update({name: data_type | upper}) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(types) }}
{%- endmacro %}


{% macro raw_column_type(raw, column) -%}
    {#- The type of `column` (its name after the last '.') in raw (raw_column_types), or none. -#}
    {{ return((raw or {}).get(column.split('.')[-1] | lower)) }}
{%- endmacro %}


{% macro is_integer_type(data_type) -%}
    {{ return(data_type in ('TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT',
                            'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT', 'UHUGEINT')) }}
{%- endmacro %}


{% macro id_match_key(column, raw=none) -%}
    {#- What an id is matched on to find repeats: the raw integer itself where the raw column is
        an integer (the same grouping as its text, cheaper to hash and sort), else the cleaned id. -#}
    {%- if is_integer_type(raw_column_type(raw, column)) -%}
        {{ column }}
    {%- else -%}
        {{ clean_id(column) }}
    {%- endif -%}
{%- endmacro %}
