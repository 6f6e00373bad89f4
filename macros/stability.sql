{#-
    Population stability: how far an actual population's distribution of a value has moved from
    an expected (reference) population's, bin by bin. Written once, for every model's score and
    features; plain SQL (window functions, ln), no warehouse-specific syntax.

    population_stability(expected, actual, value_column, group_columns=[], binning='deciles',
                         n_bins=10, share_floor=0.0001)

    expected, actual: relations holding value_column and group_columns (one row per member of
        the population). Each group (e.g. group_columns=['feature_name'] on a long table) is
        compared on its own; group values must not be null.
    binning='deciles': value_column is numeric; the bins are intervals whose edges are the
        expected population's n_bins-quantiles: ntile(n_bins) over the expected values, an edge
        at each tile's largest value, ties merged (equal edges are one edge), so a value always
        falls in the same bin in both populations however the tiles split a run of ties. Bins are
        right-closed, (lower_bound, upper_bound]; the lowest starts at -inf and the highest runs
        to +inf (null bounds), so an actual value outside the expected range still has a bin. A
        group the expected population has no value for gets one interval for every value.
    binning='categories': every distinct value of either population (e.g. a scorecard bin id,
        a region) is a bin, category = the value as text; a category the expected population
        never had is a bin with an expected share of 0.
    Either way null values form a 'missing' bin (bin_index 0), present in every group.

    Shares are counts over the group's population (missing values included). PSI terms use
    shares floored at share_floor (an empty bin would make ln(a / e) infinite):
    psi_contribution = (a - e) x ln(a / e) with a, e = max(share, share_floor), and
    psi = the group's sum of them. psi is null when one population has no rows in the group.

    One row per (group, bin): the group columns, bin_index (intervals 1..n in order, categories
    1..n in text order, missing 0), bin_type (interval / category / missing), lower_bound,
    upper_bound (intervals), category (categories), expected_count, actual_count,
    expected_share, actual_share (raw, unfloored: e.g. for a points-weighted index),
    psi_contribution and psi.
-#}
{% macro population_stability(
    expected, actual, value_column, group_columns=[], binning='deciles', n_bins=10, share_floor=0.0001
) %}
{%- if binning not in ('deciles', 'categories') -%}
    {{ exceptions.raise_compiler_error(
        "population_stability: binning must be 'deciles' or 'categories', not '" ~ binning ~ "'") }}
{%- endif -%}
{%- if (n_bins | int) < 1 -%}
    {{ exceptions.raise_compiler_error("population_stability: n_bins must be a positive integer") }}
{%- endif -%}
{#- Without group columns the whole population is one group: a constant stands in for them. -#}
{%- set groups = group_columns if group_columns | length > 0 else ['stability_group'] -%}
{%- set group_list = groups | join(', ') -%}

with

expected_population as (
    select
        {%- if group_columns | length > 0 %}
        {%- for column in group_columns %}
        {{ column }},
        {%- endfor %}
        {%- else %}
        1 as stability_group,
        {%- endif %}
        {{ value_column }} as stability_value
    from {{ expected }}
),

actual_population as (
    select
        {%- if group_columns | length > 0 %}
        {%- for column in group_columns %}
        {{ column }},
        {%- endfor %}
        {%- else %}
        1 as stability_group,
        {%- endif %}
        {{ value_column }} as stability_value
    from {{ actual }}
),

populations as (
    select
        'expected' as population,
        {{ group_list }},
        stability_value
    from expected_population
    union all
    select
        'actual' as population,
        {{ group_list }},
        stability_value
    from actual_population
),

population_groups as (
    select distinct {{ group_list }}
    from populations
),

totals as (
    select
        {{ group_list }},
        sum(case when population = 'expected' then 1 else 0 end) as expected_total,
        sum(case when population = 'actual' then 1 else 0 end) as actual_total
    from populations
    group by {{ group_list }}
),

{%- if binning == 'deciles' %}

tiles as (
    select
        {{ group_list }},
        stability_value,
        ntile({{ n_bins | int }}) over (partition by {{ group_list }} order by stability_value) as tile
    from expected_population
    where stability_value is not null
),

tile_edges as (
    select
        {{ group_list }},
        tile,
        max(stability_value) as edge
    from tiles
    group by {{ group_list }}, tile
),

-- tiles ending on the same value (a run of ties) give one edge
distinct_edges as (
    select distinct
        {{ group_list }},
        edge
    from tile_edges
),

ranked_edges as (
    select
        {{ group_list }},
        edge,
        row_number() over (partition by {{ group_list }} order by edge) as bin_index,
        count(*) over (partition by {{ group_list }}) as n_edges,
        lag(edge) over (partition by {{ group_list }} order by edge) as previous_edge
    from distinct_edges
),

value_bins as (
    select
        {{ group_list }},
        bin_index,
        'interval' as bin_type,
        cast(previous_edge as double) as lower_bound,
        -- the expected maximum is no bound: larger actual values belong to the top bin
        cast(case when bin_index < n_edges then edge end as double) as upper_bound,
        cast(null as {{ dbt.type_string() }}) as category
    from ranked_edges
    union all
    -- a group without expected values: one interval holds every actual value
    select
        {%- for column in groups %}
        population_groups.{{ column }},
        {%- endfor %}
        1 as bin_index,
        'interval' as bin_type,
        cast(null as double) as lower_bound,
        cast(null as double) as upper_bound,
        cast(null as {{ dbt.type_string() }}) as category
    from population_groups
    left join ranked_edges
        on
            {%- for column in groups %}
            {% if not loop.first %}and {% endif %}population_groups.{{ column }} = ranked_edges.{{ column }}
            {%- endfor %}
    where ranked_edges.bin_index is null
),

binned_values as (
    select
        populations.population,
        {%- for column in groups %}
        populations.{{ column }},
        {%- endfor %}
        value_bins.bin_index
    from populations
    inner join value_bins
        on
            {%- for column in groups %}
            populations.{{ column }} = value_bins.{{ column }} and
            {%- endfor %}
            (value_bins.lower_bound is null or populations.stability_value > value_bins.lower_bound)
            and (value_bins.upper_bound is null or populations.stability_value <= value_bins.upper_bound)
    where populations.stability_value is not null
),

{%- else %}

categories as (
    select distinct
        {{ group_list }},
        cast(stability_value as {{ dbt.type_string() }}) as category
    from populations
    where stability_value is not null
),

value_bins as (
    select
        {{ group_list }},
        row_number() over (partition by {{ group_list }} order by category) as bin_index,
        'category' as bin_type,
        cast(null as double) as lower_bound,
        cast(null as double) as upper_bound,
        category
    from categories
),

binned_values as (
    select
        populations.population,
        {%- for column in groups %}
        populations.{{ column }},
        {%- endfor %}
        value_bins.bin_index
    from populations
    inner join value_bins
        on
            {%- for column in groups %}
            populations.{{ column }} = value_bins.{{ column }} and
            {%- endfor %}
            cast(populations.stability_value as {{ dbt.type_string() }}) = value_bins.category
    where populations.stability_value is not null
),

{%- endif %}

bins as (
    select
        {{ group_list }},
        bin_index,
        bin_type,
        lower_bound,
        upper_bound,
        category
    from value_bins
    union all
    select
        {{ group_list }},
        0 as bin_index,
        'missing' as bin_type,
        cast(null as double) as lower_bound,
        cast(null as double) as upper_bound,
        cast(null as {{ dbt.type_string() }}) as category
    from population_groups
),

binned as (
    select
        population,
        {{ group_list }},
        bin_index
    from binned_values
    union all
    select
        population,
        {{ group_list }},
        0 as bin_index
    from populations
    where stability_value is null
),

bin_counts as (
    select
        {{ group_list }},
        bin_index,
        sum(case when population = 'expected' then 1 else 0 end) as expected_count,
        sum(case when population = 'actual' then 1 else 0 end) as actual_count
    from binned
    group by {{ group_list }}, bin_index
),

shares as (
    select
        {%- for column in groups %}
        bins.{{ column }},
        {%- endfor %}
        bins.bin_index,
        bins.bin_type,
        bins.lower_bound,
        bins.upper_bound,
        bins.category,
        coalesce(bin_counts.expected_count, 0) as expected_count,
        coalesce(bin_counts.actual_count, 0) as actual_count,
        cast(coalesce(bin_counts.expected_count, 0) as double) / nullif(totals.expected_total, 0) as expected_share,
        cast(coalesce(bin_counts.actual_count, 0) as double) / nullif(totals.actual_total, 0) as actual_share
    from bins
    inner join totals
        on
            {%- for column in groups %}
            {% if not loop.first %}and {% endif %}bins.{{ column }} = totals.{{ column }}
            {%- endfor %}
    left join bin_counts
        on
            {%- for column in groups %}
            bins.{{ column }} = bin_counts.{{ column }} and
            {%- endfor %}
            bins.bin_index = bin_counts.bin_index
),

floored as (
    select
        shares.*,
        case when shares.expected_share < {{ share_floor }} then {{ share_floor }} else shares.expected_share end
            as expected_share_floored,
        case when shares.actual_share < {{ share_floor }} then {{ share_floor }} else shares.actual_share end
            as actual_share_floored
    from shares
),

contributions as (
    select
        floored.*,
        (floored.actual_share_floored - floored.expected_share_floored)
        * ln(floored.actual_share_floored / floored.expected_share_floored) as psi_contribution
    from floored
),

final as (
    select
        {%- for column in group_columns %}
        {{ column }},
        {%- endfor %}
        cast(bin_index as integer) as bin_index,
        cast(bin_type as {{ dbt.type_string() }}) as bin_type,
        lower_bound,
        upper_bound,
        category,
        cast(expected_count as bigint) as expected_count,
        cast(actual_count as bigint) as actual_count,
        expected_share,
        actual_share,
        cast(psi_contribution as double) as psi_contribution,
        -- null when a population is empty: sum() would skip the null terms and report 0
        cast(
            case
                when count(psi_contribution) over (partition by {{ group_list }})
                    = count(*) over (partition by {{ group_list }})
                    then sum(psi_contribution) over (partition by {{ group_list }})
            end as double
        ) as psi
    from contributions
)

select * from final
{% endmacro %}
