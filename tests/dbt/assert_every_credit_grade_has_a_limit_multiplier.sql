-- Every grade of the credit_grades seed has a row in credit_limit_multipliers: a grade without one
-- would get no suggested limit in credit_offers (referred with limit_rule no_limit_multiplier).
with

grades as (
    select * from {{ ref('credit_grades') }}
),

multipliers as (
    select * from {{ ref('credit_limit_multipliers') }}
),

final as (
    select grades.grade
    from grades
    left join multipliers on grades.grade = multipliers.grade
    where multipliers.grade is null
)

select * from final
