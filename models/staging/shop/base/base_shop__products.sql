with

source as (
    select * from {{ shop_source('products') }}
),

typed as (
    select
        {{ clean_id('product_id') }} as product_id,
        {{ clean_code('category') }} as category,
        nullif(trim(cast(brand as {{ dbt.type_string() }})), '') as brand,
        {{ safe_number('list_price') }} as list_price,
        {{ unparseable([('list_price', safe_number('list_price'))]) }} as has_unparseable_value
    from source
),

checked as (
    select
        *,
        {{ first_failing_reason([
            ('null_key', 'product_id is null'),
            ('unparseable_value', 'has_unparseable_value'),
            ('negative_amount', 'list_price < 0'),
        ]) }} as row_level_reason
    from typed
),

ranked as (
    select
        *,
        {{ duplicate_rank(['product_id'], 'category, brand, list_price') }} as duplicate_rank
    from checked
),

final as (
    select
        {{ row_key(['product_id']) }} as row_key,
        product_id,
        category,
        brand,
        list_price,
        coalesce(
            row_level_reason, case when duplicate_rank > 1 then 'duplicate' end
        ) as rejection_reason
    from ranked
)

select * from final
