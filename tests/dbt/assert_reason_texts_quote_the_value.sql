-- Fails for every reason text of seed credit_reason_codes that is not specific: a reason_text
-- must quote the customer's value ({value} exactly once), a missing_reason_text must not (there
-- is no value), and neither may fall back to the unspecific "in a higher-risk range".
with

reasons as (
    select * from {{ ref('credit_reason_codes') }}
),

final as (
    select
        feature_name,
        reason_text,
        missing_reason_text
    from reasons
    where
        reason_text not like '%{value}%'
        or reason_text like '%{value}%{value}%'
        or missing_reason_text like '%{value}%'
        or lower(reason_text) like '%higher-risk range%'
        or lower(missing_reason_text) like '%higher-risk range%'
)

select * from final
