{#- The age band of an age in years: the coarse age the published tables show instead of the exact
    age (the BI snapshot's user_features.age_band, shopper_scores.publish.AGE_BAND, uses the same
    bands; a test checks the two agree). Null for an unknown age. -#}
{% macro age_band(age_years) -%}
    case
        when {{ age_years }} is null then null
        when {{ age_years }} < 25 then 'under 25'
        when {{ age_years }} < 35 then '25-34'
        when {{ age_years }} < 45 then '35-44'
        when {{ age_years }} < 55 then '45-54'
        when {{ age_years }} < 65 then '55-64'
        else '65+'
    end
{%- endmacro %}
