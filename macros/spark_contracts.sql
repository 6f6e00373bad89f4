{#- Spark target only (dbt-spark session method; see docs/spark.md). -#}

{% macro spark__get_empty_schema_sql(columns) -%}
    {#- dbt checks a contract by casting null to each documented data_type. The ymls document text
        columns as varchar, which Spark rejects without a length: on Spark they are checked as
        string, Spark's text type (raw_column_type). Every other type is Spark's own spelling
        already (integer, bigint, double, date, timestamp, boolean). dbt finds this override
        before its own because the root project comes first when dbt dispatches its macros. -#}
    {%- set spelled = {} -%}
    {%- for name, column in columns.items() -%}
        {%- set copy = {} -%}
        {%- do copy.update(column) -%}
        {%- if copy.get('data_type') is not none -%}
            {%- do copy.update({'data_type': raw_column_type(copy['data_type'])}) -%}
        {%- endif -%}
        {%- do spelled.update({name: copy}) -%}
    {%- endfor -%}
    {{ dbt.default__get_empty_schema_sql(spelled) }}
{%- endmacro %}
