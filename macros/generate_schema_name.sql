{#- Custom schemas are used as given (staging, intermediate, ml, reference), so BI sees stable
    names; models without one (the marts) land in the target schema. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
