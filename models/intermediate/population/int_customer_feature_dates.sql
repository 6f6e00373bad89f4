-- The (customer, feature_date) pairs features are computed for: every customer known before each
-- cut-off in int_feature_cutoffs, plus each credit customer at the opening date of every account
-- whose outcome has matured by as_of_date (credit training rows use features as of opening).
with

cutoffs as (
    select * from {{ ref('int_feature_cutoffs') }}
),

context as (
    select * from {{ ref('int_scoring_context') }}
),

customers as (
    select * from {{ ref('int_customers_unified') }}
),

credit_outcomes as (
    select * from {{ ref('int_credit_accounts_outcomes') }}
),

at_cutoffs as (
    select
        customers.customer_id,
        cutoffs.feature_date
    from customers
    cross join cutoffs
    where customers.first_seen_at is null or customers.first_seen_at < cutoffs.feature_date
),

at_credit_openings as (
    select distinct
        credit_outcomes.customer_id,
        credit_outcomes.opened_date as feature_date
    from credit_outcomes
    cross join context
    where credit_outcomes.performance_end_date <= context.as_of_date
),

final as (
    select
        customer_id,
        feature_date
    from at_cutoffs
    union
    select
        customer_id,
        feature_date
    from at_credit_openings
)

select * from final
