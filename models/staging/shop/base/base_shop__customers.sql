{%- set raw_types = raw_column_types('customers') -%}

with

source as (
    select * from {{ shop_source('customers') }}
),

extraction as (
    select extracted_at from {{ ref('stg_shop__extraction_manifest') }}
),

typed as (
    select
        {{ clean_id('source.customer_id', raw=raw_types) }} as customer_id,
        {{ safe_timestamp('source.signup_at', raw=raw_types) }} as signup_at,
        {{ safe_count('source.birth_year') }} as birth_year,
        {{ clean_code('source.gender') }} as gender,
        {{ clean_code('source.region') }} as region,
        {{ safe_count('source.city_tier') }} as city_tier,
        source.signup_at as raw_signup_at,
        source.birth_year as raw_birth_year,
        source.city_tier as raw_city_tier
    from source
),

checked as (
    select
        typed.*,
        case
            when typed.customer_id is null then 'null_key'
            when
                (typed.raw_signup_at is not null and typed.signup_at is null)
                or (typed.raw_birth_year is not null and typed.birth_year is null)
                or (typed.raw_city_tier is not null and typed.city_tier is null)
                then 'unparseable_value'
            when
                {{ is_non_finite('typed.signup_at') }}
                or {{ is_non_finite('typed.birth_year') }}
                or {{ is_non_finite('typed.city_tier') }}
                then 'non_finite_value'
            when {{ is_fractional('typed.birth_year') }} or {{ is_fractional('typed.city_tier') }}
                then 'non_integer_value'
            when {{ is_implausibly_early('typed.signup_at') }} then 'implausible_date'
            when typed.signup_at > extraction.extracted_at then 'future_dated'
            when
                {{ has_control_character('typed.customer_id', raw=raw_types) }}
                or {{ has_control_character('typed.gender', raw=raw_types) }}
                or {{ has_control_character('typed.region', raw=raw_types) }}
                or {{ is_outside_integer_range('typed.city_tier') }}
                then 'invalid_value'
        end as row_level_reason
    from typed
    cross join extraction
),

ranked as (
    {{ rank_duplicates(
        'checked', key=['customer_id'],
        survivor_order=['signup_at', 'region', 'city_tier', 'birth_year', 'gender']
    ) }}
),

final as (
    select
        ranked.customer_id,
        ranked.signup_at,
        -- Still a number: an implausible (even huge) birth year is not rejected here;
        -- stg_shop__customers nulls and flags it, and converts the plausible ones to integer.
        ranked.birth_year,
        ranked.gender,
        ranked.region,
        {{ safe_integer('ranked.city_tier') }} as city_tier,
        coalesce(ranked.row_level_reason, case when ranked.duplicate_rank > 1 then 'duplicate' end)
            as rejection_reason
    from ranked
)

select * from final
