with

source as (
    select * from {{ shop_source('customers') }}
),

extraction as (
    select extracted_at from {{ ref('stg_shop__extraction_manifest') }}
),

typed as (
    select
        {{ clean_id('customer_id') }} as customer_id,
        {{ safe_timestamp('signup_at') }} as signup_at,
        {{ safe_integer('birth_year') }} as birth_year,
        {{ clean_code('gender') }} as gender,
        {{ clean_code('region') }} as region,
        {{ safe_integer('city_tier') }} as city_tier,
        {{ unparseable([
            ('signup_at', safe_timestamp('signup_at')),
            ('birth_year', safe_integer('birth_year')),
            ('city_tier', safe_integer('city_tier')),
        ]) }} as has_unparseable_value
    from source
),

checked as (
    select
        typed.*,
        {{ first_failing_reason([
            ('null_key', 'typed.customer_id is null'),
            ('unparseable_value', 'typed.has_unparseable_value'),
            ('future_dated', 'typed.signup_at > extraction.extracted_at'),
        ]) }} as row_level_reason
    from typed
    cross join extraction
),

ranked as (
    select
        *,
        {{ duplicate_rank(['customer_id'], 'signup_at, region, city_tier, birth_year, gender') }}
            as duplicate_rank
    from checked
),

final as (
    select
        {{ row_key(['customer_id']) }} as row_key,
        customer_id,
        signup_at,
        birth_year,
        gender,
        region,
        city_tier,
        coalesce(
            row_level_reason, case when duplicate_rank > 1 then 'duplicate' end
        ) as rejection_reason
    from ranked
)

select * from final
