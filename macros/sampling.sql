{#- Deterministic, engine-portable sampling. A row's draw is a uniform number in [0, 1) taken from
    the first 32 bits of md5(key): md5 is the same on every engine and version, unlike DuckDB's
    hash(), so the same rows are sampled on DuckDB, Spark or any other warehouse. -#}

{% macro hash_uniform(key_expression) -%}
    {{ return(adapter.dispatch('hash_uniform', 'shopper_scores')(key_expression)) }}
{%- endmacro %}

{% macro default__hash_uniform(key_expression) -%}
    cast(('0x' || left(md5({{ key_expression }}), 8)) as bigint) / 4294967296.0
{%- endmacro %}

{% macro spark__hash_uniform(key_expression) -%}
    cast(conv(left(md5({{ key_expression }}), 8), 16, 10) as bigint) / 4294967296.0
{%- endmacro %}


{% macro sample_key(columns) -%}
    {#- The text a draw is hashed from: the columns as row_key joins them, then the seed. -#}
    {{ dbt.concat([row_key(columns), "'|" ~ (var('random_seed') | string) ~ "'"]) }}
{%- endmacro %}
