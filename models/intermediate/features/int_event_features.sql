-- Browsing behaviour at each (customer, feature_date) from events in the 365 days before it.
-- Events are first counted per customer, session and day: every window below is a whole number
-- of days before the feature date (a date), so the day is all the detail the features need, and
-- the point-in-time join then meets sessions-days instead of every event at every cut-off.
with

feature_dates as (
    select * from {{ ref('int_customer_feature_dates') }}
),

events as (
    select * from {{ ref('stg_shop__events') }}
),

session_days as (
    select
        customer_id,
        session_id,
        cast(event_at as date) as event_date,
        {%- for event_type in ['view', 'search', 'add_to_cart', 'favorite', 'checkout'] %}
        sum(case when event_type = '{{ event_type }}' then 1 else 0 end) as {{ event_type }}_events,
        {%- endfor %}
        count(*) as events
    from events
    group by customer_id, session_id, cast(event_at as date)
),

session_days_as_of as (
    select
        feature_dates.customer_id,
        feature_dates.feature_date,
        session_days.session_id,
        session_days.events,
        {%- for event_type in ['view', 'search', 'add_to_cart', 'favorite', 'checkout'] %}
        session_days.{{ event_type }}_events,
        {%- endfor %}
        {{ dbt.datediff('session_days.event_date', 'feature_dates.feature_date', 'day') }} as days_before
    from feature_dates
    inner join session_days
        on
            feature_dates.customer_id = session_days.customer_id
            and session_days.event_date < feature_dates.feature_date
            and session_days.event_date >= {{ dbt.dateadd('day', -365, 'feature_dates.feature_date') }}
),

final as (
    select
        customer_id,
        feature_date,
        count(distinct case when days_before <= 30 then session_id end) as sessions_30d,
        count(distinct case when days_before <= 90 then session_id end) as sessions_90d,
        count(distinct session_id) as sessions_365d,
        sum(case when days_before <= 90 then events else 0 end) as events_90d,
        {%- for event_type in ['view', 'search', 'add_to_cart', 'favorite', 'checkout'] %}
        sum(case when days_before <= 90 then {{ event_type }}_events else 0 end) as {{ event_type }}_events_90d,
        {%- endfor %}
        min(days_before) as days_since_last_event
    from session_days_as_of
    group by customer_id, feature_date
)

select * from final
