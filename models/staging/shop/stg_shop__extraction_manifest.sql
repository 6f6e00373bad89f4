-- The moment the data was cut. Without a manifest, the latest parseable order time stands in.
with

manifest as (
    select max({{ safe_timestamp('extracted_at') }}) as extracted_at
    from {{ shop_source('extraction_manifest') }}
),

orders as (
    select max({{ safe_timestamp('ordered_at') }}) as latest_ordered_at
    from {{ shop_source('orders') }}
),

final as (
    select
        coalesce(manifest.extracted_at, orders.latest_ordered_at) as extracted_at,
        manifest.extracted_at is not null as is_from_manifest
    from manifest
    cross join orders
)

select * from final
