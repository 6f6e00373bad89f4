{%- set raw_types = raw_column_types('products') -%}

with

source as (
    select * from {{ shop_source('products') }}
),

typed as (
    select
        {{ clean_id('source.product_id', raw=raw_types) }} as product_id,
        {{ clean_code('source.category') }} as category,
        nullif(trim(cast(source.brand as {{ dbt.type_string() }})), '') as brand,
        {{ safe_number('source.list_price') }} as list_price,
        source.list_price as raw_list_price
    from source
),

checked as (
    select
        typed.*,
        case
            when typed.product_id is null then 'null_key'
            when typed.raw_list_price is not null and typed.list_price is null then 'unparseable_value'
            when {{ is_non_finite('typed.list_price') }} then 'non_finite_value'
            when typed.list_price < 0 then 'negative_amount'
            when typed.list_price > {{ var('order_amount_max_plausible') }} then 'implausible_amount'
            when {{ has_control_character('typed.product_id', raw=raw_types) }} or {{ has_control_character('typed.category', raw=raw_types) }}
                then 'invalid_value'
        end as row_level_reason
    from typed
),

ranked as (
    {{ rank_duplicates(
        'checked', key=['product_id'],
        survivor_order=['category', 'brand', 'list_price']
    ) }}
),

final as (
    select
        ranked.product_id,
        ranked.category,
        ranked.brand,
        ranked.list_price,
        coalesce(ranked.row_level_reason, case when ranked.duplicate_rank > 1 then 'duplicate' end)
            as rejection_reason
    from ranked
)

select * from final
