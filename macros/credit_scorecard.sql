{#-
    The SQL scorer: every customer's points per scorecard feature, from the published scorecard
    (credit_scorecard, credit_scorecard_categories) and any relation holding the feature columns
    (user_features today; the training population's features for stability reports). Plain SQL:
    runs on any warehouse, no Python.

    Bins follow shopper_scores.ml.credit.FeatureBinning exactly: a numeric value v falls in the
    interval with lower_bound < v <= upper_bound (null bounds are -inf / +inf), a null value in
    the feature's 'missing' bin; a category in the bin credit_scorecard_categories gives it, an
    unseen category in the 'other' bin, a null in 'missing'. The credit score is base_points
    (credit_score_scale) plus the sum of these points; its PD is the score's row of
    credit_score_scale.

    One row per (key, feature_name): the key columns, feature_name, feature_type, bin_id,
    bin_type, points, best_points (the feature's highest points) and the value as text.
-#}
{% macro credit_scorecard_points(features, key_columns=['customer_id']) %}
{%- set numeric_columns = [] -%}
{%- set text_columns = [] -%}
{%- if execute -%}
    {%- set columns = adapter.get_columns_in_relation(features) -%}
    {%- if columns | length == 0 -%}
        {{ exceptions.raise_compiler_error("credit_scorecard_points: " ~ features ~ " has no columns (build it first)") }}
    {%- endif -%}
    {%- for column in columns -%}
        {%- if column.name in key_columns -%}
        {%- elif column.is_string() -%}
            {%- do text_columns.append(column.name) -%}
        {%- elif column.is_number() or column.dtype | lower in ('boolean', 'bool') -%}
            {%- do numeric_columns.append(column.name) -%}
        {%- endif -%}
    {%- endfor -%}
{%- endif %}

with

features as (
    select * from {{ features }}
),

scorecard as (
    select * from {{ ref('credit_scorecard') }}
),

categories as (
    select * from {{ ref('credit_scorecard_categories') }}
),

scorecard_features as (
    select
        feature_name,
        feature_type,
        max(points) as best_points,
        max(case when bin_type = 'missing' then bin_id end) as missing_bin_id,
        max(case when bin_type = 'other' then bin_id end) as other_bin_id
    from scorecard
    group by feature_name, feature_type
),

-- one row per (customer, scorecard feature): the feature's value, read from its own column
feature_values as (
    select
        {%- for key in key_columns %}
        features.{{ key }},
        {%- endfor %}
        scorecard_features.feature_name,
        scorecard_features.feature_type,
        scorecard_features.best_points,
        scorecard_features.missing_bin_id,
        scorecard_features.other_bin_id,
        case scorecard_features.feature_name
            {%- for column in numeric_columns %}
            when '{{ column }}' then cast(features.{{ column }} as double)
            {%- endfor %}
        end as numeric_value,
        case scorecard_features.feature_name
            {%- for column in text_columns %}
            when '{{ column }}' then cast(features.{{ column }} as {{ dbt.type_string() }})
            {%- endfor %}
        end as category_value
    from features
    cross join scorecard_features
),

interval_bins as (
    select
        {%- for key in key_columns %}
        feature_values.{{ key }},
        {%- endfor %}
        feature_values.feature_name,
        scorecard.bin_id
    from feature_values
    inner join scorecard
        on
            feature_values.feature_name = scorecard.feature_name
            and scorecard.bin_type = 'interval'
            and (scorecard.lower_bound is null or feature_values.numeric_value > scorecard.lower_bound)
            and (scorecard.upper_bound is null or feature_values.numeric_value <= scorecard.upper_bound)
    where feature_values.feature_type = 'numeric' and feature_values.numeric_value is not null
),

binned as (
    select
        {%- for key in key_columns %}
        feature_values.{{ key }},
        {%- endfor %}
        feature_values.feature_name,
        feature_values.feature_type,
        feature_values.best_points,
        case
            when feature_values.feature_type = 'numeric' and feature_values.numeric_value is null
                then feature_values.missing_bin_id
            when feature_values.feature_type = 'numeric' then interval_bins.bin_id
            when feature_values.category_value is null then feature_values.missing_bin_id
            else coalesce(categories.bin_id, feature_values.other_bin_id)
        end as bin_id,
        case
            when feature_values.feature_type = 'numeric'
                then cast(feature_values.numeric_value as {{ dbt.type_string() }})
            else feature_values.category_value
        end as feature_value
    from feature_values
    left join interval_bins
        on
            {%- for key in key_columns %}
            feature_values.{{ key }} = interval_bins.{{ key }} and
            {%- endfor %}
            feature_values.feature_name = interval_bins.feature_name
    left join categories
        on
            feature_values.feature_type = 'categorical'
            and feature_values.feature_name = categories.feature_name
            and feature_values.category_value = categories.category
),

final as (
    select
        {%- for key in key_columns %}
        binned.{{ key }},
        {%- endfor %}
        binned.feature_name,
        binned.feature_type,
        binned.bin_id,
        scorecard.bin_type,
        scorecard.points,
        binned.best_points,
        binned.feature_value
    from binned
    left join scorecard
        on
            binned.feature_name = scorecard.feature_name
            and binned.bin_id = scorecard.bin_id
)

select * from final
{% endmacro %}


{#-
    Credit score and PD of every row of a population from its scorecard points (the output of
    credit_scorecard_points on that population): base_points of credit_score_scale plus the sum
    of the row's points, and that score's probability of default. The one place the score is
    summed in SQL (today's customers: int_credit_sql_scores; the accounts the champion was fitted
    on: int_credit_final_fit_scores). carry_columns: columns of the population kept beside the key.
-#}
{% macro credit_scores_from_points(population, points, key_column, carry_columns=[]) %}

with

population as (
    select * from {{ population }}
),

points as (
    select * from {{ points }}
),

scale as (
    select * from {{ ref('credit_score_scale') }}
),

base as (
    select distinct
        model_name,
        model_version,
        base_points
    from scale
),

summed_points as (
    select
        {{ key_column }},
        sum(points) as scorecard_points
    from points
    group by {{ key_column }}
),

scored as (
    select
        population.{{ key_column }},
        {%- for column in carry_columns %}
        population.{{ column }},
        {%- endfor %}
        base.model_name,
        base.model_version,
        base.base_points + coalesce(summed_points.scorecard_points, 0) as credit_score
    from population
    cross join base
    left join summed_points on population.{{ key_column }} = summed_points.{{ key_column }}
),

final as (
    select
        scored.{{ key_column }},
        {%- for column in carry_columns %}
        scored.{{ column }},
        {%- endfor %}
        cast(scored.credit_score as integer) as credit_score,
        scale.probability_of_default,
        scored.model_name,
        scored.model_version
    from scored
    left join scale
        on
            scored.model_version = scale.model_version
            and scored.credit_score = scale.credit_score
)

select * from final
{% endmacro %}
