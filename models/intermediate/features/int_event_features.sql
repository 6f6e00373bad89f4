-- Browsing behaviour at each (customer, feature_date) from events in the 365 days before it.
with

feature_dates as (
    select * from {{ ref('int_customer_feature_dates') }}
),

events as (
    select * from {{ ref('stg_shop__events') }}
),

events_as_of as (
    select
        feature_dates.customer_id,
        feature_dates.feature_date,
        events.session_id,
        events.event_type,
        {{ dbt.datediff('events.event_at', 'feature_dates.feature_date', 'day') }} as days_before
    from feature_dates
    inner join events
        on
            feature_dates.customer_id = events.customer_id
            and events.event_at < feature_dates.feature_date
            and events.event_at >= {{ dbt.dateadd('day', -365, 'feature_dates.feature_date') }}
),

final as (
    select
        customer_id,
        feature_date,
        count(distinct case when days_before <= 30 then session_id end) as sessions_30d,
        count(distinct case when days_before <= 90 then session_id end) as sessions_90d,
        count(distinct session_id) as sessions_365d,
        sum(case when days_before <= 90 then 1 else 0 end) as events_90d,
        {%- for event_type in ['view', 'search', 'add_to_cart', 'favorite', 'checkout'] %}
        sum(case when days_before <= 90 and event_type = '{{ event_type }}' then 1 else 0 end)
            as {{ event_type }}_events_90d,
        {%- endfor %}
        min(days_before) as days_since_last_event
    from events_as_of
    group by customer_id, feature_date
)

select * from final
