-- Do credit decisions treat groups of customers alike? One row per group of each monitored
-- attribute (age band, gender, region; none of them a model feature): customers, approval and
-- referral rates and mean suggested limit (credit_offers), mean credit score and PD, the observed
-- default rate of the group's matured credit accounts, and the disparate-impact ratio of the
-- approval rate against the most favoured group of the attribute, flagged below var
-- credit_fairness_min_impact_ratio (the four-fifths rule). Aggregates only: no customer-level
-- row carries gender.
{%- set min_ratio = var('credit_fairness_min_impact_ratio') %}
{%- set min_customers = var('credit_fairness_min_group_customers') | int %}

with

scores as (
    select * from {{ ref('credit_scores') }}
),

features as (
    select * from {{ ref('user_features') }}
),

customers as (
    select * from {{ ref('int_customers_unified') }}
),

outcomes as (
    select * from {{ ref('int_credit_accounts_outcomes') }}
),

features_at_opening as (
    select * from {{ ref('int_user_features_point_in_time') }}
),

context as (
    select * from {{ ref('int_scoring_context') }}
),

-- the decisions: approve / refer / decline (only approve counts as approved) and the limit
offers as (
    select * from {{ ref('credit_offers') }}
),

customer_groups as (
    select
        scores.customer_id,
        scores.credit_score,
        scores.probability_of_default,
        offers.decision,
        offers.suggested_limit,
        {{ age_band('features.age_years') }} as age_band,
        customers.gender,
        features.region
    from scores
    left join features on scores.customer_id = features.customer_id
    left join customers on scores.customer_id = customers.customer_id
    left join offers on scores.customer_id = offers.customer_id
),

-- matured accounts, the holder's age band as of opening (their age then), gender and region
account_groups as (
    select
        outcomes.credit_account_id,
        outcomes.is_default,
        {{ age_band('features_at_opening.age_years') }} as age_band,
        customers.gender,
        features_at_opening.region
    from outcomes
    cross join context
    left join features_at_opening
        on
            outcomes.customer_id = features_at_opening.customer_id
            and outcomes.opened_date = features_at_opening.feature_date
    left join customers on outcomes.customer_id = customers.customer_id
    where outcomes.performance_end_date <= context.as_of_date
),

{%- set attributes = ['age_band', 'gender', 'region'] %}

customer_attributes as (
    {%- for attribute in attributes %}
    {%- if not loop.first %}
    union all
    {%- endif %}
    select
        '{{ attribute }}' as attribute_name,
        coalesce(cast({{ attribute }} as {{ dbt.type_string() }}), '(unknown)') as group_value,
        credit_score,
        probability_of_default,
        decision,
        suggested_limit
    from customer_groups
    {%- endfor %}
),

account_attributes as (
    {%- for attribute in attributes %}
    {%- if not loop.first %}
    union all
    {%- endif %}
    select
        '{{ attribute }}' as attribute_name,
        coalesce(cast({{ attribute }} as {{ dbt.type_string() }}), '(unknown)') as group_value,
        is_default
    from account_groups
    {%- endfor %}
),

customer_stats as (
    select
        attribute_name,
        group_value,
        count(*) as customers,
        sum(case when decision = 'approve' then 1 else 0 end) as approved_customers,
        sum(case when decision = 'refer' then 1 else 0 end) as referred_customers,
        avg(cast(credit_score as double)) as mean_credit_score,
        avg(probability_of_default) as mean_probability_of_default,
        avg(suggested_limit) as mean_suggested_limit
    from customer_attributes
    group by attribute_name, group_value
),

account_stats as (
    select
        attribute_name,
        group_value,
        count(*) as matured_accounts,
        sum(is_default) as defaulted_accounts
    from account_attributes
    group by attribute_name, group_value
),

group_keys as (
    select
        attribute_name,
        group_value
    from customer_stats
    union
    select
        attribute_name,
        group_value
    from account_stats
),

group_stats as (
    select
        group_keys.attribute_name,
        group_keys.group_value,
        coalesce(customer_stats.customers, 0) as customers,
        coalesce(customer_stats.approved_customers, 0) as approved_customers,
        cast(customer_stats.approved_customers as double) / nullif(customer_stats.customers, 0) as approval_rate,
        cast(customer_stats.referred_customers as double) / nullif(customer_stats.customers, 0) as referral_rate,
        customer_stats.mean_credit_score,
        customer_stats.mean_probability_of_default,
        customer_stats.mean_suggested_limit,
        coalesce(account_stats.matured_accounts, 0) as matured_accounts,
        coalesce(account_stats.defaulted_accounts, 0) as defaulted_accounts,
        cast(account_stats.defaulted_accounts as double) / nullif(account_stats.matured_accounts, 0)
            as observed_default_rate,
        -- judged and eligible as the reference: a known group large enough for its rate to mean something
        (
            group_keys.group_value != '(unknown)'
            and coalesce(customer_stats.customers, 0) >= {{ min_customers }}
        ) as is_judged
    from group_keys
    left join customer_stats
        on
            group_keys.attribute_name = customer_stats.attribute_name
            and group_keys.group_value = customer_stats.group_value
    left join account_stats
        on
            group_keys.attribute_name = account_stats.attribute_name
            and group_keys.group_value = account_stats.group_value
),

ranked as (
    select
        attribute_name,
        group_value,
        approval_rate,
        row_number() over (partition by attribute_name order by approval_rate desc, group_value asc) as favour_rank
    from group_stats
    where is_judged
),

reference as (
    select
        attribute_name,
        group_value as reference_group,
        approval_rate as reference_approval_rate
    from ranked
    where favour_rank = 1
),

model as (
    select distinct model_version from scores
),

final as (
    select
        cast(model.model_version as {{ dbt.type_string() }}) as model_version,
        context.as_of_date,
        cast(group_stats.attribute_name as {{ dbt.type_string() }}) as attribute_name,
        cast(group_stats.group_value as {{ dbt.type_string() }}) as group_value,
        cast(group_stats.customers as bigint) as customers,
        cast(group_stats.approved_customers as bigint) as approved_customers,
        cast(group_stats.approval_rate as double) as approval_rate,
        cast(group_stats.referral_rate as double) as referral_rate,
        cast(group_stats.mean_credit_score as double) as mean_credit_score,
        cast(group_stats.mean_probability_of_default as double) as mean_probability_of_default,
        cast(group_stats.mean_suggested_limit as double) as mean_suggested_limit,
        cast(group_stats.matured_accounts as bigint) as matured_accounts,
        cast(group_stats.defaulted_accounts as bigint) as defaulted_accounts,
        cast(group_stats.observed_default_rate as double) as observed_default_rate,
        cast(reference.reference_group as {{ dbt.type_string() }}) as reference_group,
        cast(reference.reference_approval_rate as double) as reference_approval_rate,
        cast(group_stats.approval_rate / nullif(reference.reference_approval_rate, 0) as double)
            as disparate_impact_ratio,
        cast(
            case
                when group_stats.is_judged and reference.reference_approval_rate > 0
                    then group_stats.approval_rate / reference.reference_approval_rate < {{ min_ratio }}
            end as boolean
        ) as is_below_four_fifths,
        cast(group_stats.is_judged as boolean) as is_judged
    from group_stats
    cross join model
    cross join context
    left join reference on group_stats.attribute_name = reference.attribute_name
)

select * from final
