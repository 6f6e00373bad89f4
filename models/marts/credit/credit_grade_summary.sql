-- Per grade of the master scale (seed credit_grades: fixed PD bands): the band of credit scores
-- of the current scale that falls in it, the share of current customers, the expected default
-- rate (their mean PD) and the observed default rate of the out-of-time test cohort, graded the
-- same way (by the PD the test stage's scorecard gave each account). Every grade is listed, even
-- an empty one. PDs are summed exactly (macros/exact_aggregates.sql): no build-to-build drift.

with

grades as (
    select * from {{ ref('credit_grades') }}
),

scale as (
    select * from {{ ref('credit_score_scale') }}
),

scores as (
    select * from {{ ref('credit_scores') }}
),

test_predictions as (
    select * from {{ ref('ml_credit_test_predictions') }}
),

-- The scores of the current scale whose PD falls in each band (PD falls as the score rises, so
-- a grade is one run of scores).
score_bands as (
    select
        grades.grade,
        min(scale.credit_score) as min_credit_score,
        max(scale.credit_score) as max_credit_score
    from scale
    inner join grades
        on
            scale.probability_of_default >= grades.min_pd
            and scale.probability_of_default < grades.max_pd_exclusive
    group by grades.grade
),

customers as (
    select
        credit_grade as grade,
        count(*) as n_customers,
        sum(cast(probability_of_default as {{ exact_probability_type() }})) as sum_pd
    from scores
    group by credit_grade
),

population as (
    select
        count(*) as n_customers,
        max(model_name) as model_name,
        max(model_version) as model_version
    from scores
),

test_accounts as (
    select
        grades.grade,
        count(*) as n_test_accounts,
        sum(test_predictions.is_default) as n_test_defaults,
        sum(cast(test_predictions.probability_of_default as {{ exact_probability_type() }})) as sum_pd
    from test_predictions
    inner join grades
        on
            test_predictions.probability_of_default >= grades.min_pd
            and test_predictions.probability_of_default < grades.max_pd_exclusive
    group by grades.grade
),

test_cohort as (
    select max(model_version) as test_model_version
    from test_predictions
),

final as (
    select
        -- grade
        cast(grades.master_scale_version as varchar) as master_scale_version,
        cast(grades.grade as varchar) as grade,
        cast(grades.min_pd as double) as min_pd,
        cast(grades.max_pd_exclusive as double) as max_pd_exclusive,
        cast(grades.grade_description as varchar) as grade_description,
        cast(score_bands.min_credit_score as integer) as min_credit_score,
        cast(score_bands.max_credit_score as integer) as max_credit_score,
        -- current customers
        cast(coalesce(customers.n_customers, 0) as bigint) as n_customers,
        cast(coalesce(customers.n_customers, 0) as double) / nullif(population.n_customers, 0)
            as share_of_customers,
        cast(customers.sum_pd as double) / nullif(customers.n_customers, 0) as expected_default_rate,
        -- the out-of-time test cohort
        cast(coalesce(test_accounts.n_test_accounts, 0) as bigint) as n_test_accounts,
        cast(coalesce(test_accounts.n_test_defaults, 0) as bigint) as n_test_defaults,
        cast(test_accounts.n_test_defaults as double) / nullif(test_accounts.n_test_accounts, 0)
            as observed_default_rate,
        cast(test_accounts.sum_pd as double) / nullif(test_accounts.n_test_accounts, 0)
            as test_expected_default_rate,
        -- models
        cast(population.model_name as varchar) as model_name,
        cast(population.model_version as varchar) as model_version,
        cast(test_cohort.test_model_version as varchar) as test_model_version
    from grades
    cross join population
    cross join test_cohort
    left join score_bands on grades.grade = score_bands.grade
    left join customers on grades.grade = customers.grade
    left join test_accounts on grades.grade = test_accounts.grade
)

select * from final
