-- Category breadth at each (customer, feature_date): distinct product categories bought in
-- orders placed before feature_date, from each category's first purchase by the customer.
with

feature_dates as (
    select * from {{ ref('int_customer_feature_dates') }}
),

orders as (
    select * from {{ ref('stg_shop__orders') }}
),

order_items as (
    select * from {{ ref('stg_shop__order_items') }}
),

products as (
    select * from {{ ref('stg_shop__products') }}
),

first_purchase_by_category as (
    select
        orders.customer_id,
        coalesce(products.category, 'unknown') as category,
        min(orders.ordered_at) as first_bought_at
    from order_items
    inner join orders on order_items.order_id = orders.order_id
    left join products on order_items.product_id = products.product_id
    group by orders.customer_id, coalesce(products.category, 'unknown')
),

final as (
    select
        feature_dates.customer_id,
        feature_dates.feature_date,
        count(*) as distinct_categories_lifetime
    from feature_dates
    inner join first_purchase_by_category
        on
            feature_dates.customer_id = first_purchase_by_category.customer_id
            and first_purchase_by_category.first_bought_at < feature_dates.feature_date
    group by feature_dates.customer_id, feature_dates.feature_date
)

select * from final
