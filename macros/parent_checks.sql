{#- Referential checks against a parent base model: a child row whose parent key is unknown gets
    `unknown_reason`; one whose parent exists only as quarantined rows gets 'parent_quarantined'. -#}

{% macro parent_status(parent_model, parent_key) -%}
    select
        {{ parent_key }} as parent_key,
        max(case when rejection_reason is null then 1 else 0 end) as has_clean_row
    from {{ ref(parent_model) }}
    where {{ parent_key }} is not null
    group by {{ parent_key }}
{%- endmacro %}


{% macro parent_reason_checks(alias, child_key, unknown_reason) -%}
    {{ return([
        (unknown_reason, child_key ~ " is not null and " ~ alias ~ ".parent_key is null"),
        ("parent_quarantined", alias ~ ".has_clean_row = 0"),
    ]) }}
{%- endmacro %}
