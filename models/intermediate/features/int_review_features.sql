-- Reviews written before each feature_date.
with

feature_dates as (
    select * from {{ ref('int_customer_feature_dates') }}
),

reviews as (
    select * from {{ ref('stg_shop__reviews') }}
),

final as (
    select
        feature_dates.customer_id,
        feature_dates.feature_date,
        count(*) as reviews_lifetime,
        {{ exact_mean_of_integers('reviews.rating') }} as mean_review_rating,
        cast(sum(case when reviews.rating <= 2 then 1 else 0 end) as double) / count(*) as low_rating_share
    from feature_dates
    inner join reviews
        on
            feature_dates.customer_id = reviews.customer_id
            and reviews.reviewed_at < feature_dates.feature_date
    group by feature_dates.customer_id, feature_dates.feature_date
)

select * from final
