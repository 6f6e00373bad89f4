-- The categories each categorical bin of the champion scorecard holds (one row per kept
-- category). A category not listed falls in its feature's 'other' bin, a missing value in its
-- 'missing' bin.

with

categories as (
    select * from {{ ref('ml_credit_scorecard_categories') }}
),

final as (
    select
        cast(model_name as varchar) as model_name,
        cast(model_version as varchar) as model_version,
        cast(feature_name as varchar) as feature_name,
        cast(category as varchar) as category,
        cast(bin_id as integer) as bin_id
    from categories
)

select * from final
