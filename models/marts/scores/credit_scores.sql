-- Credit risk of every customer at as_of_date: the calibrated probability that a credit account
-- opened today by the customer defaults (var credit_default_dpd+ days past due within
-- var credit_performance_months), its score and grade, the range of scores the scorecard can give,
-- when the score was computed, up to four reasons and how much history the score rests on.
-- Reasons (adverse-action style, at most four: more are "not likely to be helpful", Reg B) are
-- the scorecard features whose points fall furthest below their best bin, each stated as the
-- customer's fact with its value (seed credit_reason_codes, macro credit_reason_text). A reason
-- code 'feature:missing' means the customer has no value for that factor yet (e.g. no instalment
-- history): its text says so rather than quoting a value.
{%- set min_orders = var('credit_min_orders_for_full_history') | int %}
{%- set reason_ranks = [1, 2, 3, 4] %}

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

scale as (
    select * from {{ ref('credit_score_scale') }}
),

-- the lowest and highest score the scorecard of each model_version can give
score_range as (
    select
        model_version,
        min(credit_score) as credit_score_min,
        max(credit_score) as credit_score_max
    from scale
    group by model_version
),

with_status as (
    select
        predictions.*,
        context.as_of_date,
        context.context_run_id,
        context.scored_at,
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
        cast(with_status.scored_at as {{ api.Column.translate_type('timestamp') }}) as scored_at,
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
        cast(score_range.credit_score_min as integer) as credit_score_min,
        cast(score_range.credit_score_max as integer) as credit_score_max,
        {%- for k in reason_ranks %}
        cast(reason_{{ k }}.reason_code as varchar) as reason_{{ k }}_code,
        cast({{ dbt.split_part('with_status.reason_code_' ~ k, "':'", 1) }} as varchar)
            as reason_{{ k }}_feature,
        cast(
            {{ credit_reason_text('with_status.reason_code_' ~ k, 'with_status.reason_value_' ~ k, 'reason_' ~ k) }}
            as varchar
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
    {%- for k in reason_ranks %}
    left join reasons as reason_{{ k }}
        on {{ dbt.split_part('with_status.reason_code_' ~ k, "':'", 1) }} = reason_{{ k }}.feature_name
    {%- endfor %}
    left join score_range on with_status.model_version = score_range.model_version
)

select * from final
