with

events as (
    select * from {{ ref('base_shop__events') }}
    where rejection_reason is null
),

final as (
    select
        event_id,
        customer_id,
        session_id,
        event_at,
        event_type,
        product_id
    from events
)

select * from final
