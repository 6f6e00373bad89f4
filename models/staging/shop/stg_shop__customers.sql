with

customers as (
    select * from {{ ref('base_shop__customers') }}
    where rejection_reason is null
),

extraction as (
    select extracted_at from {{ ref('stg_shop__extraction_manifest') }}
),

final as (
    select
        customers.customer_id,
        customers.signup_at,
        -- Implausible birth years are treated as unknown (flagged), not as a reason to drop the
        -- customer. The base model keeps the year as a number (whole, checked); a plausible one fits an integer.
        case
            when customers.birth_year between 1900 and extract(year from extraction.extracted_at)
                then cast(customers.birth_year as {{ api.Column.translate_type('integer') }})
        end as birth_year,
        customers.birth_year is not null
        and customers.birth_year not between 1900 and extract(year from extraction.extracted_at)
            as is_birth_year_invalid,
        customers.gender,
        customers.region,
        customers.city_tier
    from customers
    cross join extraction
)

select * from final
