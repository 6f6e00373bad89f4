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


{#- Without the parent source, an unknown key cannot be judged, so only the quarantine check runs
    (it finds nothing, the parent being empty); the join stays so the SQL has one shape either way. -#}
{% macro parent_reason_checks(alias, child_key, unknown_reason, parent_present=true) -%}
    {%- set checks = [] -%}
    {%- if parent_present -%}
        {%- do checks.append((unknown_reason, child_key ~ " is not null and " ~ alias ~ ".parent_key is null")) -%}
    {%- endif -%}
    {%- do checks.append(("parent_quarantined", alias ~ ".has_clean_row = 0")) -%}
    {{ return(checks) }}
{%- endmacro %}
