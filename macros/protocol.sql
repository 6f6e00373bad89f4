{#- The out-of-time protocol's window count, defined once: var('n_train_windows') training
    windows stacked into each fit, plus one validation and one test window ahead of them. -#}
{% macro n_label_windows() -%}
    {{ return(var('n_train_windows') | int + 2) }}
{%- endmacro %}
