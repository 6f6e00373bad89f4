-- Fails for every customer whose credit score or probability of default from the plain-SQL
-- scorer (int_credit_sql_scores) differs in any way from the Python scorer's (ml_credit_scoring),
-- or who is scored by one and not the other. Exact equality: both read the same integer points
-- and the same score-to-PD table.
with

python_scores as (
    select * from {{ ref('ml_credit_scoring') }}
),

sql_scores as (
    select * from {{ ref('int_credit_sql_scores') }}
),

final as (
    select
        coalesce(python_scores.customer_id, sql_scores.customer_id) as customer_id,
        python_scores.credit_score as python_credit_score,
        sql_scores.credit_score as sql_credit_score,
        python_scores.probability_of_default as python_probability_of_default,
        sql_scores.probability_of_default as sql_probability_of_default
    from python_scores
    full outer join sql_scores on python_scores.customer_id = sql_scores.customer_id
    where
        python_scores.customer_id is null
        or sql_scores.customer_id is null
        or python_scores.credit_score != sql_scores.credit_score
        or python_scores.probability_of_default != sql_scores.probability_of_default
        or python_scores.model_version != sql_scores.model_version
        or sql_scores.probability_of_default is null
)

select * from final
