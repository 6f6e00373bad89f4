{#- Referential checks against a parent base model. A child model joins the parent's status on
    its key and writes, in its rejection `case`, `<key> is not null and <alias>.parent_key is null`
    (unknown parent, e.g. unknown_customer) and `<alias>.has_clean_row = 0` (parent_quarantined:
    the parent exists only as quarantined rows).
    Where the parent source is optional and absent, an unknown key cannot be judged, so the child
    puts the unknown-parent check in `{% if shop_source_present('<parent>') %}`; the
    parent_quarantined check always runs (it finds nothing, the parent being empty), which keeps
    the join referenced and the SQL one shape either way. -#}

{% macro parent_status(parent_model, parent_key) -%}
    {#- One row per parent key: has_clean_row = 1 when at least one of its rows is clean. -#}
    select
        {{ parent_key }} as parent_key,
        max(case when rejection_reason is null then 1 else 0 end) as has_clean_row
    from {{ ref(parent_model) }}
    where {{ parent_key }} is not null
    group by {{ parent_key }}
{%- endmacro %}
