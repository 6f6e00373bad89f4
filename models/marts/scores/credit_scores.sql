-- Credit risk of every customer at as_of_date: the calibrated probability that a credit account
-- opened today by the customer defaults (var credit_default_dpd+ days past due within
-- var credit_performance_months), its score and grade, the top 3 reasons and how much history the
-- score rests on. A reason code 'feature:missing' means the customer has no value for that factor
-- yet (e.g. no instalment history): its text says so rather than calling the value high or low.
{%- set min_orders = var('credit_min_orders_for_full_history') | int %}

with

predictions as (
    select * from {{ ref('ml_credit_scoring') }}
),

context as (
    select * from {{ ref('int_scoring_context') }}
),

features as (
    select * from {{ ref('user_features') }}
),

grades as (
    select * from {{ ref('credit_grades') }}
),

reasons as (
    select * from {{ ref('credit_reason_codes') }}
),

with_status as (
    select
        predictions.*,
        context.as_of_date,
        context.context_run_id,
        case
            when features.orders_placed_lifetime = 0 and features.credit_accounts_lifetime = 0
                then 'no_history'
            when features.orders_placed_lifetime < {{ min_orders }} then 'thin_history'
            else 'scored'
        end as score_status
    from predictions
    cross join context
    inner join features on predictions.customer_id = features.customer_id
),

final as (
    select
        cast(with_status.customer_id as varchar) as customer_id,
        with_status.as_of_date,
        cast(with_status.context_run_id as varchar) as context_run_id,
        cast(with_status.probability_of_default as double) as probability_of_default,
        cast(with_status.credit_score as integer) as credit_score,
        cast(grades.grade as varchar) as credit_grade,
        cast(with_status.score_status as varchar) as score_status,
        cast(
            case with_status.score_status
                when 'no_history'
                    then 'No orders or credit yet: essentially the portfolio default rate.'
                when 'thin_history'
                    then 'Fewer than {{ min_orders }} orders: mostly profile and early order behaviour.'
                else 'Order, browsing and repayment history.'
            end as varchar
        ) as score_basis,
        {%- for k in [1, 2, 3] %}
        cast({{ dbt.split_part('with_status.reason_code_' ~ k, "':'", 1) }} as varchar)
            as reason_{{ k }}_feature,
        cast(
            case
                when with_status.reason_code_{{ k }} like '%:missing' then reason_{{ k }}.missing_reason_text
                else reason_{{ k }}.reason_text
            end as varchar
        ) as reason_{{ k }}_text,
        {%- endfor %}
        cast(with_status.model_name as varchar) as model_name,
        cast(with_status.model_version as varchar) as model_version
    from with_status
    -- master scale: fixed PD bands (the PD is a function of the integer score, so is the grade)
    left join grades
        on
            with_status.probability_of_default >= grades.min_pd
            and with_status.probability_of_default < grades.max_pd_exclusive
    {%- for k in [1, 2, 3] %}
    left join reasons as reason_{{ k }}
        on {{ dbt.split_part('with_status.reason_code_' ~ k, "':'", 1) }} = reason_{{ k }}.feature_name
    {%- endfor %}
)

select * from final
