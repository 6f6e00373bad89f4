-- Credit offers: where the two scores meet. One row per customer of credit_scores: a decision
-- (approve / refer / decline) from the credit score's cut-offs, and a suggested instalment limit
-- sized by the predicted spend over the horizon (purchasing_power_scores) times the grade's
-- multiplier (seed credit_limit_multipliers), capped and rounded down, with the reason in words.
-- Rules, first that applies: no_history -> refer (the score is the portfolio rate, not the
-- customer's); score below the refer cut-off -> decline; no purchasing-power prediction or no
-- multiplier for the grade -> refer (no limit can be sized); score at or above the approve
-- cut-off -> approve; otherwise refer. The yml gives the formula and its limits.
{%- set approve_min = var('credit_offer_approve_min_score') | int %}
{%- set refer_min = var('credit_offer_refer_min_score') | int %}
{%- set max_limit = var('credit_offer_max_limit') | float %}
{%- set rounding = var('credit_offer_limit_rounding') | float %}
{#- As the reasons print them: 1000, not 1000.0. -#}
{%- set max_limit_text = (max_limit | int) if max_limit == (max_limit | int) else max_limit %}
{%- set rounding_text = (rounding | int) if rounding == (rounding | int) else rounding %}
{%- if refer_min > approve_min %}
    {{ exceptions.raise_compiler_error(
        "shopper_scores: var credit_offer_refer_min_score (" ~ refer_min ~ ") must not exceed "
        ~ "credit_offer_approve_min_score (" ~ approve_min ~ "): a refer band cannot lie above approval") }}
{%- endif %}
{%- if rounding <= 0 or max_limit < 0 %}
    {{ exceptions.raise_compiler_error(
        "shopper_scores: var credit_offer_limit_rounding must be > 0 and credit_offer_max_limit >= 0, got "
        ~ rounding ~ " and " ~ max_limit) }}
{%- endif %}

with

credit as (
    select * from {{ ref('credit_scores') }}
),

purchasing_power as (
    select * from {{ ref('purchasing_power_scores') }}
),

multipliers as (
    select * from {{ ref('credit_limit_multipliers') }}
),

context as (
    select * from {{ ref('int_scoring_context') }}
),

joined as (
    select
        credit.customer_id,
        credit.as_of_date,
        credit.context_run_id,
        credit.probability_of_default,
        credit.credit_score,
        credit.credit_grade,
        credit.score_status,
        credit.model_version as credit_model_version,
        context.horizon_days,
        purchasing_power.predicted_spend,
        purchasing_power.model_version as purchasing_power_model_version,
        multipliers.limit_multiplier,
        purchasing_power.predicted_spend * multipliers.limit_multiplier as formula_limit
    from credit
    cross join context
    left join purchasing_power
        on
            credit.customer_id = purchasing_power.customer_id
            and credit.as_of_date = purchasing_power.as_of_date
    left join multipliers on credit.credit_grade = multipliers.grade
),

decided as (
    select
        joined.*,
        case
            when joined.score_status = 'no_history' then 'no_history'
            when joined.credit_score < {{ refer_min }} then 'score_below_refer_cut_off'
            when joined.predicted_spend is null then 'no_purchasing_power'
            when joined.limit_multiplier is null then 'no_limit_multiplier'
            when joined.credit_score >= {{ approve_min }} then 'score_at_or_above_approve_cut_off'
            else 'score_between_cut_offs'
        end as decision_rule
    from joined
),

bounded as (
    select
        decided.*,
        case
            when decided.decision_rule = 'score_at_or_above_approve_cut_off' then 'approve'
            when decided.decision_rule = 'score_below_refer_cut_off' then 'decline'
            else 'refer'
        end as decision,
        -- Which bound set the limit, before rounding down.
        case
            when decided.decision_rule = 'score_below_refer_cut_off' then 'declined'
            when decided.predicted_spend is null then 'no_purchasing_power'
            when decided.limit_multiplier is null then 'no_limit_multiplier'
            when decided.formula_limit < 0 then 'floor'
            when decided.formula_limit > {{ max_limit }} then 'cap'
            else 'formula'
        end as limit_rule
    from decided
),

limited as (
    select
        bounded.*,
        -- Rounded down to a multiple of the unit (a product a rounding error below a multiple
        -- counts as that multiple).
        case bounded.limit_rule
            when 'formula' then floor(bounded.formula_limit / {{ rounding }} + 1e-9) * {{ rounding }}
            when 'cap' then floor({{ max_limit }} / {{ rounding }} + 1e-9) * {{ rounding }}
            else 0
        end as suggested_limit
    from bounded
),

explained as (
    select
        limited.*,
        case limited.decision_rule
            when 'no_history'
                then 'Referred: no orders or credit yet, so the score is essentially the portfolio rate.'
            when 'score_below_refer_cut_off'
                then {{ dbt.concat([
                    "'Declined: credit score '", "cast(limited.credit_score as varchar)",
                    "' is below the refer cut-off " ~ refer_min ~ ".'"]) }}
            when 'no_purchasing_power'
                then 'Referred: no purchasing-power prediction, so no limit can be sized.'
            when 'no_limit_multiplier'
                then {{ dbt.concat([
                    "'Referred: grade '", "coalesce(limited.credit_grade, '(none)')",
                    "' has no limit multiplier (seed credit_limit_multipliers).'"]) }}
            when 'score_at_or_above_approve_cut_off'
                then {{ dbt.concat([
                    "'Approved: credit score '", "cast(limited.credit_score as varchar)",
                    "' is at or above the approve cut-off " ~ approve_min ~ ".'"]) }}
            else {{ dbt.concat([
                "'Referred: credit score '", "cast(limited.credit_score as varchar)",
                "' is between the refer cut-off " ~ refer_min ~ " and the approve cut-off " ~ approve_min ~ ".'"]) }}
        end as decision_text,
        -- The formula with this customer's numbers: spend over the horizon x the grade's multiplier.
        {{ dbt.concat([
            "'predicted spend '", "cast(cast(round(limited.predicted_spend, 2) as decimal(18, 2)) as varchar)",
            "' over '", "cast(limited.horizon_days as varchar)", "' days x '",
            "cast(cast(limited.limit_multiplier as decimal(18, 2)) as varchar)",
            "' (grade '", "limited.credit_grade", "') = '",
            "cast(cast(round(limited.formula_limit, 2) as decimal(18, 2)) as varchar)"]) }} as formula_text
    from limited
),

final as (
    select
        cast(explained.customer_id as varchar) as customer_id,
        explained.as_of_date,
        cast(explained.context_run_id as varchar) as context_run_id,
        cast(explained.probability_of_default as double) as probability_of_default,
        cast(explained.credit_score as integer) as credit_score,
        cast(explained.credit_grade as varchar) as credit_grade,
        cast(explained.score_status as varchar) as score_status,
        cast(explained.horizon_days as integer) as horizon_days,
        cast(explained.predicted_spend as double) as predicted_spend,
        cast(explained.decision as varchar) as decision,
        cast(explained.decision_rule as varchar) as decision_rule,
        cast(explained.limit_multiplier as double) as limit_multiplier,
        cast(explained.suggested_limit as double) as suggested_limit,
        cast(explained.limit_rule as varchar) as limit_rule,
        cast(
            case explained.limit_rule
                when 'declined' then {{ dbt.concat(["explained.decision_text", "' No limit.'"]) }}
                when 'no_purchasing_power'
                    then {{ dbt.concat(["explained.decision_text", "' Limit 0 until spend is predicted.'"]) }}
                when 'no_limit_multiplier'
                    then {{ dbt.concat(["explained.decision_text", "' Limit 0.'"]) }}
                when 'floor'
                    then {{ dbt.concat([
                        "explained.decision_text", "' Limit 0: '", "explained.formula_text",
                        "', below 0, floored at 0.'"]) }}
                when 'cap'
                    then {{ dbt.concat([
                        "explained.decision_text", "' Limit '", "cast(cast(explained.suggested_limit as bigint) as varchar)",
                        "': '", "explained.formula_text", "', capped at the maximum " ~ max_limit_text ~ ".'"]) }}
                else {{ dbt.concat([
                    "explained.decision_text", "' Limit '", "cast(cast(explained.suggested_limit as bigint) as varchar)",
                    "': '", "explained.formula_text", "', rounded down to a multiple of " ~ rounding_text ~ ".'"]) }}
            end as varchar
        ) as offer_reason,
        cast(explained.credit_model_version as varchar) as credit_model_version,
        cast(explained.purchasing_power_model_version as varchar) as purchasing_power_model_version
    from explained
)

select * from final
