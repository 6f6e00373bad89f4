{#- The Spark target's implementations (dbt-spark `session` method) of the cleaning, metrics and
    contract macros; docs/spark.md lists each dialect difference. The raw-file ones are in
    raw_sources.sql, beside DuckDB's. -#}

{% macro spark__id_text(column) -%}
    {#- Spark spells a float as text in scientific notation from 1e7 on ('1.0E7'), so a whole float
        id is cast to bigint first (raw_parquet_type_problems stops on float ids that are not whole
        numbers below 2^53). Its string literals unescape backslashes, and its regexp_replace
        refers to a group as $1. -#}
    regexp_replace(
        trim(
            case
                when typeof({{ column }}) in ('double', 'float') and {{ column }} = floor({{ column }})
                    then cast(cast({{ column }} as bigint) as {{ dbt.type_string() }})
                else cast({{ column }} as {{ dbt.type_string() }})
            end
        ),
        '^([0-9]+)\\.0+$', '$1'
    )
{%- endmacro %}


{% macro spark__safe_cast(column, type) -%}
    {#- dbt-spark's renders a plain cast, which gives null on failure only while ANSI mode is off. -#}
    try_cast({{ column }} as {{ type }})
{%- endmacro %}


{% macro spark__safe_timestamp(column) -%}
    {#- Spark's cast honours a UTC offset and reads a naive value in the session time zone (the
        profile sets UTC), as DuckDB's does; but it also accepts forms DuckDB rejects (a bare year
        '2024', surrounding blanks), so text must start with a year-month-day date to be parsed.
        Typed timestamps and dates pass the test as they are. -#}
    case
        when cast({{ column }} as {{ dbt.type_string() }}) rlike '^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([T ].*)?$'
            then try_cast({{ column }} as timestamp)
    end
{%- endmacro %}


{% macro spark__has_control_character(column) -%}
    {#- The same characters in Java's regex syntax (Spark's string literals unescape \\ to \). -#}
    {{ column }} rlike '[\\x00-\\x1f\\x7f-\\x9f]'
{%- endmacro %}


{% macro spark__nan_to_null(expression) -%}
    {#- Spark, too, orders NaN as equal to itself. -#}
    case when isnan({{ expression }}) then null else {{ expression }} end
{%- endmacro %}


{% macro spark__get_empty_schema_sql(columns) -%}
    {#- dbt checks a contract by casting null to each documented data_type. The ymls document text
        columns as varchar, which Spark rejects without a length: on Spark they are checked as
        string, Spark's text type (documented_type). Every other type is Spark's own spelling
        already (integer, bigint, double, date, timestamp, boolean). dbt finds this override
        before its own because the root project comes first when dbt dispatches its macros. -#}
    {%- set spelled = {} -%}
    {%- for name, column in columns.items() -%}
        {%- set copy = {} -%}
        {%- do copy.update(column) -%}
        {%- if copy.get('data_type') is not none -%}
            {%- do copy.update({'data_type': documented_type(copy['data_type'])}) -%}
        {%- endif -%}
        {%- do spelled.update({name: copy}) -%}
    {%- endfor -%}
    {{ dbt.default__get_empty_schema_sql(spelled) }}
{%- endmacro %}
