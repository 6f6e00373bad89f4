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
        -- Implausible birth years are treated as unknown (flagged), not as a reason to drop the customer.
        case
            when customers.birth_year between 1900 and extract(year from extraction.extracted_at)
                then customers.birth_year
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
