{#- Every row was computed from the current scoring context: same context_run_id and as_of_date as
    int_scoring_context. A build killed mid-way leaves some marts at the previous context; this
    names them (and the BI publisher refuses to publish such a warehouse). -#}
{% test matches_scoring_context(model) %}
    with

    mart as (
        select context_run_id, as_of_date from {{ model }}
    ),

    context as (
        select context_run_id, as_of_date from {{ ref('int_scoring_context') }}
    ),

    final as (
        select
            mart.context_run_id,
            mart.as_of_date,
            context.context_run_id as current_context_run_id,
            context.as_of_date as current_as_of_date,
            count(*) as n_rows
        from mart
        cross join context
        -- a null run id or date is a mismatch too (distinct from, not !=)
        where
            mart.context_run_id is distinct from context.context_run_id
            or mart.as_of_date is distinct from context.as_of_date
        group by mart.context_run_id, mart.as_of_date, context.context_run_id, context.as_of_date
    )

    select * from final
{% endtest %}
