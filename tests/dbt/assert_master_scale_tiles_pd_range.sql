-- The master scale (seed credit_grades) grades every PD exactly once: its bands start at 0, each
-- ends where the next begins, the last ends at 1, none is empty, the letters follow the PD order
-- (A safest), and the seed holds one master_scale_version.

with

grades as (
    select * from {{ ref('credit_grades') }}
),

ordered as (
    select
        grade,
        min_pd,
        max_pd_exclusive,
        lead(min_pd) over (order by min_pd) as next_min_pd,
        lag(grade) over (order by min_pd) as previous_grade,
        row_number() over (order by min_pd) as band_number,
        count(*) over () as n_bands
    from grades
),

versions as (
    select count(distinct master_scale_version) as n_versions
    from grades
),

problems as (
    select
        grade,
        'the first band must start at 0' as problem
    from ordered
    where band_number = 1 and min_pd <> 0

    union all

    select
        grade,
        'a gap or an overlap with the next band' as problem
    from ordered
    where next_min_pd is not null and next_min_pd <> max_pd_exclusive

    union all

    select
        grade,
        'the last band must end at 1' as problem
    from ordered
    where band_number = n_bands and max_pd_exclusive <> 1

    union all

    select
        grade,
        'an empty band' as problem
    from ordered
    where max_pd_exclusive <= min_pd

    union all

    select
        grade,
        'grade letters out of PD order' as problem
    from ordered
    where previous_grade >= grade

    union all

    select
        cast(null as varchar) as grade,
        'not exactly one master_scale_version' as problem
    from versions
    where n_versions <> 1
)

select * from problems
