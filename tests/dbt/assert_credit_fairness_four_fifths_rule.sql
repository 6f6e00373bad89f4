-- Warns (does not fail the build) for every judged group of credit_fairness whose approval rate
-- is below var credit_fairness_min_impact_ratio (0.8, the four-fifths rule) times the most
-- favoured group's of its attribute: a disparate impact a risk team must look into, not
-- necessarily a wrong decision (e.g. when the group's observed default rate is higher too).
{{ config(severity='warn') }}

with

fairness as (
    select * from {{ ref('credit_fairness') }}
),

final as (
    select
        attribute_name,
        group_value,
        customers,
        approval_rate,
        reference_group,
        reference_approval_rate,
        disparate_impact_ratio,
        observed_default_rate
    from fairness
    where is_below_four_fifths
)

select * from final
