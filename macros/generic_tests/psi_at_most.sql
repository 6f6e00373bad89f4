{#- Rows whose population stability index exceeds max_psi (a null index passes). Apply it twice
    to one column, with severity warn at the warning threshold and severity error at the alert
    threshold, so that a moderate shift warns and a significant one fails the build. -#}
{% test psi_at_most(model, column_name, max_psi) %}
    select *
    from {{ model }}
    where {{ column_name }} > {{ max_psi }}
{% endtest %}
