-- No excluded or protected attribute can be a reason: fails for every scorecard feature that is
-- protected (gender, as shopper_scores.ml.features.PROTECTED_ATTRIBUTES) or excluded by var
-- decision_excluded_features (the scorecard must never hold one, so no score can rest on it), for
-- every reason of credit_scores that names one, and for every reason that is not a feature of the
-- customer's scorecard (which would let a reason bypass the first check).
{%- set configured = var('decision_excluded_features', '') %}
{%- set names = configured.split(',') if configured is string else configured %}
{%- set excluded = ['gender'] %}
{%- for name in names if name | trim %}{% do excluded.append(name | trim | lower) %}{% endfor %}

with

scorecard as (
    select * from {{ ref('credit_scorecard') }}
),

scores as (
    select * from {{ ref('credit_scores') }}
),

scorecard_features as (
    select distinct
        model_version,
        feature_name
    from scorecard
),

{%- for k in [1, 2, 3, 4] %}

reasons_{{ k }} as (
    select
        customer_id,
        model_version,
        {{ k }} as reason_rank,
        reason_{{ k }}_feature as feature_name
    from scores
    where reason_{{ k }}_feature is not null
),
{%- endfor %}

reasons as (
    select * from reasons_1
    union all
    select * from reasons_2
    union all
    select * from reasons_3
    union all
    select * from reasons_4
),

excluded_in_scorecard as (
    select
        'excluded or protected feature in the scorecard' as failure,
        cast(null as {{ dbt.type_string() }}) as customer_id,
        cast(null as integer) as reason_rank,
        feature_name
    from scorecard_features
    where lower(feature_name) in ('{{ excluded | join("', '") }}')
),

excluded_as_reason as (
    select
        'excluded or protected feature given as a reason' as failure,
        customer_id,
        reason_rank,
        feature_name
    from reasons
    where lower(feature_name) in ('{{ excluded | join("', '") }}')
),

reason_outside_scorecard as (
    select
        'reason is not a feature of the scorecard' as failure,
        reasons.customer_id,
        reasons.reason_rank,
        reasons.feature_name
    from reasons
    left join scorecard_features
        on
            reasons.model_version = scorecard_features.model_version
            and reasons.feature_name = scorecard_features.feature_name
    where scorecard_features.feature_name is null
),

final as (
    select * from excluded_in_scorecard
    union all
    select * from excluded_as_reason
    union all
    select * from reason_outside_scorecard
)

select * from final
