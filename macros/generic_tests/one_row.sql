{#- The model holds exactly one row (e.g. the scoring context every consumer cross joins). -#}
{% test one_row(model) %}
    select count(*) as n_rows
    from {{ model }}
    having count(*) != 1
{% endtest %}
