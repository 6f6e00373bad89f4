{%- set raw_types = raw_column_types('order_items') -%}

with

source as (
    select * from {{ shop_source('order_items') }}
),

order_status as (
    {{ parent_status('base_shop__orders', 'order_id') }}
),

product_status as (
    {{ parent_status('base_shop__products', 'product_id') }}
),

typed as (
    select
        {{ clean_id('source.order_id', raw=raw_types) }} as order_id,
        {{ safe_count('source.line_number') }} as line_number,
        {{ clean_id('source.product_id', raw=raw_types) }} as product_id,
        {{ safe_count('source.quantity') }} as quantity,
        {{ safe_number('source.unit_price') }} as unit_price,
        {{ id_match_key('source.order_id', raw=raw_types) }} as order_key,
        source.line_number as raw_line_number,
        source.quantity as raw_quantity,
        source.unit_price as raw_unit_price
    from source
),

checked as (
    select
        typed.*,
        case
            when typed.order_id is null or typed.line_number is null then 'null_key'
            when
                (typed.raw_line_number is not null and typed.line_number is null)
                or (typed.raw_quantity is not null and typed.quantity is null)
                or (typed.raw_unit_price is not null and typed.unit_price is null)
                then 'unparseable_value'
            when
                {{ is_non_finite('typed.line_number') }}
                or {{ is_non_finite('typed.quantity') }}
                or {{ is_non_finite('typed.unit_price') }}
                then 'non_finite_value'
            when {{ is_fractional('typed.line_number') }} or {{ is_fractional('typed.quantity') }}
                then 'non_integer_value'
            when typed.product_id is null or typed.quantity is null or typed.unit_price is null then 'missing_value'
            when typed.unit_price < 0 then 'negative_amount'
            when typed.unit_price > {{ var('order_amount_max_plausible') }} then 'implausible_amount'
            when
                {{ has_control_character('typed.order_id', raw=raw_types) }}
                or {{ has_control_character('typed.product_id', raw=raw_types) }}
                or {{ is_outside_integer_range('typed.line_number') }}
                or {{ is_outside_integer_range('typed.quantity') }}
                or typed.quantity <= 0
                then 'invalid_value'
        end as row_level_reason
    from typed
),

ranked as (
    {{ rank_duplicates(
        'checked', key=['order_key', 'line_number'],
        survivor_order=['product_id', 'quantity', 'unit_price']
    ) }}
),

final as (
    select
        -- line_number is still a number here (safe_count): clean_id writes 3.0 as '3', 1.5 as '1.5'.
        {{ row_key(['ranked.order_id', clean_id('ranked.line_number')]) }} as row_key,
        ranked.order_id,
        {{ safe_integer('ranked.line_number') }} as line_number,
        ranked.product_id,
        {{ safe_integer('ranked.quantity') }} as quantity,
        ranked.unit_price,
        coalesce(
            ranked.row_level_reason,
            case
                when ranked.duplicate_rank > 1 then 'duplicate'
                when ranked.order_id is not null and order_status.parent_key is null then 'unknown_order'
                when order_status.has_clean_row = 0 then 'parent_quarantined'
                {%- if shop_source_present('products') %}
                when ranked.product_id is not null and product_status.parent_key is null then 'unknown_product'
                {%- endif %}
                when product_status.has_clean_row = 0 then 'parent_quarantined'
            end
        ) as rejection_reason
    from ranked
    left join order_status on ranked.order_id = order_status.parent_key
    left join product_status on ranked.product_id = product_status.parent_key
)

select * from final
