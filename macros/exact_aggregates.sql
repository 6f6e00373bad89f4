{#- Aggregates whose result does not depend on the order rows are added in. A parallel engine
    (DuckDB with threads > 1) adds a group's doubles in whatever order its threads meet them, so
    sum / avg / stddev of doubles differ in the last bits from one build to the next. Exact
    arithmetic (decimals, integers) has no order: these macros sum in it and round to double once. -#}

{% macro exact_money_type() -%}
    {#- Money to the nano-unit: amounts with up to 9 decimals (raw money has 2-4) are kept
        exactly, and 38 digits leave 29 before the point, far beyond any plausible total. -#}
    decimal(38, 9)
{%- endmacro %}


{% macro exact_sum(expression) -%}
    {#- sum(expression) of a money (double) expression, the same in every build: summed as an
        exact decimal, then one rounding to double. Null when every value is null, as sum(). -#}
    cast(sum(cast({{ expression }} as {{ exact_money_type() }})) as double)
{%- endmacro %}


{% macro exact_mean_of_integers(expression) -%}
    {#- avg() of an integer expression: an integer sum is exact, and one division rounds it. -#}
    cast(sum({{ expression }}) as double) / nullif(count({{ expression }}), 0)
{%- endmacro %}


{% macro exact_stddev_samp_of_integers(expression) -%}
    {#- stddev_samp() of an integer expression (e.g. days between orders) from exact integer
        moments: n * sum(x^2) - sum(x)^2 is computed exactly (as a decimal, so it cannot overflow
        a bigint), then divided and rooted once. Null below two values, as stddev_samp(). -#}
    {%- set x = 'cast(' ~ expression ~ ' as decimal(38, 0))' -%}
    sqrt(
        cast(count({{ expression }}) * sum({{ x }} * {{ x }}) - sum({{ x }}) * sum({{ x }}) as double)
        / nullif(count({{ expression }}) * (count({{ expression }}) - 1), 0)
    )
{%- endmacro %}


{% macro exact_probability_type() -%}
    {#- Probabilities (and other values in [0, 1]) to 1e-18, for order-independent sums of PDs:
        20 digits before the point hold the sum over any plausible number of rows. -#}
    decimal(38, 18)
{%- endmacro %}
