-- The table to choose a credit policy from: for every score cut-off of the champion's scale
-- (every reachable integer score; approve when credit_score >= the cut-off), the approval rate
-- and expected bad rate of the current customers, the observed bad rate of the out-of-time test
-- cohort at the same cut-off (scored by the test stage's scorecard, on the same points scale),
-- and the expected loss sum(PD x LGD x EAD) of the approved customers (LGD: var credit_lgd; EAD:
-- the CTE exposures). PDs and money are summed exactly (macros/exact_aggregates.sql), so the
-- cumulative sums are the same in every build.
{%- set default_exposure = var('credit_default_exposure') | string | trim %}

with

scale as (
    select * from {{ ref('credit_score_scale') }}
),

scores as (
    select * from {{ ref('credit_scores') }}
),

features as (
    select * from {{ ref('user_features') }}
),

test_predictions as (
    select * from {{ ref('ml_credit_test_predictions') }}
),

-- The shop's mean principal per credit account before as_of_date: the exposure of a customer
-- without credit history unless var credit_default_exposure sets one.
portfolio as (
    select {{ exact_sum('credit_principal_lifetime') }} / nullif(sum(credit_accounts_lifetime), 0) as mean_principal
    from features
),

-- Exposure at default per customer: the customer's mean principal per past credit account (what
-- they typically finance), else var credit_default_exposure, else the shop's mean principal.
-- This is the one CTE to change to use the credit_offers mart's limit instead: select
-- customer_id and suggested_limit as exposure_at_default from a ref of credit_offers.
exposures as (
    select
        features.customer_id,
        coalesce(
            cast(features.credit_principal_lifetime as double) / nullif(features.credit_accounts_lifetime, 0),
            {%- if default_exposure %}
            cast({{ default_exposure }} as double)
            {%- else %}
            portfolio.mean_principal
            {%- endif %}
        ) as exposure_at_default
    from features
    cross join portfolio
),

customers_by_score as (
    select
        scores.credit_score,
        count(*) as n_customers,
        sum(cast(scores.probability_of_default as {{ exact_probability_type() }})) as sum_pd,
        sum(cast(exposures.exposure_at_default as {{ exact_money_type() }})) as sum_exposure,
        sum(cast(scores.probability_of_default * exposures.exposure_at_default as {{ exact_money_type() }}))
            as sum_pd_exposure
    from scores
    left join exposures on scores.customer_id = exposures.customer_id
    group by scores.credit_score
),

test_by_score as (
    select
        credit_score,
        count(*) as n_accounts,
        sum(is_default) as n_defaults,
        sum(cast(probability_of_default as {{ exact_probability_type() }})) as sum_pd
    from test_predictions
    group by credit_score
),

customer_total as (
    select sum(n_customers) as n_customers from customers_by_score
),

test_total as (
    select sum(n_accounts) as n_accounts from test_by_score
),

-- Everyone at or above each cut-off.
approved as (
    select
        scale.credit_score as cut_off_score,
        sum(customers_by_score.n_customers) as n_customers,
        sum(customers_by_score.sum_pd) as sum_pd,
        sum(customers_by_score.sum_exposure) as sum_exposure,
        sum(customers_by_score.sum_pd_exposure) as sum_pd_exposure
    from scale
    inner join customers_by_score on scale.credit_score <= customers_by_score.credit_score
    group by scale.credit_score
),

test_approved as (
    select
        scale.credit_score as cut_off_score,
        sum(test_by_score.n_accounts) as n_accounts,
        sum(test_by_score.n_defaults) as n_defaults,
        sum(test_by_score.sum_pd) as sum_pd
    from scale
    inner join test_by_score on scale.credit_score <= test_by_score.credit_score
    group by scale.credit_score
),

final as (
    select
        -- model and cut-off
        cast(scale.model_name as varchar) as model_name,
        cast(scale.model_version as varchar) as model_version,
        cast(scale.credit_score as integer) as cut_off_score,
        cast(scale.probability_of_default as double) as cut_off_pd,
        -- current customers approved (credit_score >= cut_off_score)
        cast(coalesce(approved.n_customers, 0) as bigint) as n_approved,
        cast(coalesce(approved.n_customers, 0) as double) / nullif(customer_total.n_customers, 0) as approval_rate,
        cast(approved.sum_pd as double) / nullif(approved.n_customers, 0) as expected_bad_rate,
        cast(coalesce(approved.sum_exposure, 0) as double) as approved_exposure,
        cast({{ var('credit_lgd') }} as double) as loss_given_default,
        cast({{ var('credit_lgd') }} as double) * cast(coalesce(approved.sum_pd_exposure, 0) as double)
            as expected_loss,
        cast({{ var('credit_lgd') }} as double) * cast(approved.sum_pd_exposure as double)
        / nullif(cast(approved.sum_exposure as double), 0) as expected_loss_rate,
        -- the out-of-time test cohort at the same cut-off
        cast(coalesce(test_approved.n_accounts, 0) as bigint) as n_test_approved,
        cast(coalesce(test_approved.n_accounts, 0) as double) / nullif(test_total.n_accounts, 0)
            as test_approval_rate,
        cast(test_approved.n_defaults as double) / nullif(test_approved.n_accounts, 0) as observed_bad_rate,
        cast(test_approved.sum_pd as double) / nullif(test_approved.n_accounts, 0) as test_expected_bad_rate
    from scale
    cross join customer_total
    cross join test_total
    left join approved on scale.credit_score = approved.cut_off_score
    left join test_approved on scale.credit_score = test_approved.cut_off_score
)

select * from final
