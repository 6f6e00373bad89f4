{#- Vars that were renamed: a value set under the old name would be ignored without a word, so the
    build stops and names the new one. -#}
{% macro check_renamed_vars() -%}
    {%- set renamed = {
        'credit_excluded_features': 'decision_excluded_features (one exclusion policy for the credit and the purchasing-power models)',
    } -%}
    {%- for old, new in renamed.items() -%}
        {%- if execute and var(old, none) is not none -%}
            {%- do exceptions.raise_compiler_error(
                "shopper_scores: var " ~ old ~ " was renamed; set " ~ new ~ " instead") -%}
        {%- endif -%}
    {%- endfor -%}
{%- endmacro %}
