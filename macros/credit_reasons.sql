{#-
    A reason's value as its text quotes it (seed credit_reason_codes, column value_format).
    value is the scorer's text of the customer's value (ml_credit_scoring.reason_value_k: numbers
    in up to 15 significant digits, whole numbers without a decimal point, categories as they are); value_format says how to show it:

    * count, days -- a whole number ('3', '143'; a mean of days is rounded);
    * money -- two decimals ('44.51', '-12.00'; no currency: the shop's own);
    * ratio -- two decimals ('0.67');
    * rating -- one decimal ('3.5');
    * share -- a whole percent ('67 %'), with '< 1 %' / '> 99 %' so a share that is not 0 or
      100 % is never shown as one;
    * text -- as it is (categories).

    Any other value_format gives null (the seed's accepted_values test rules that out). Portable
    SQL: round, cast and the cross-database concat macro. Rounding is half away from zero.
-#}
{% macro credit_reason_value(value, value_format) -%}
{%- set number = 'cast(' ~ value ~ ' as double)' -%}
{%- set text = dbt.type_string() -%}
case {{ value_format }}
    when 'text' then {{ value }}
    when 'count' then cast(cast(round({{ number }}) as bigint) as {{ text }})
    when 'days' then cast(cast(round({{ number }}) as bigint) as {{ text }})
    when 'money' then cast(cast(round({{ number }}, 2) as decimal(38, 2)) as {{ text }})
    when 'ratio' then cast(cast(round({{ number }}, 2) as decimal(38, 2)) as {{ text }})
    when 'rating' then cast(cast(round({{ number }}, 1) as decimal(38, 1)) as {{ text }})
    when 'share' then
        case
            when {{ number }} > 0 and {{ number }} < 0.005 then '< 1 %'
            when {{ number }} >= 0.995 and {{ number }} < 1 then '> 99 %'
            else {{ dbt.concat(['cast(cast(round(100 * ' ~ number ~ ') as bigint) as ' ~ text ~ ')', "' %'"]) }}
        end
end
{%- endmacro %}


{#-
    The text of reason k of a credit_scores row: the seed's missing_reason_text when the reason is
    that the customer has no value ('feature:missing'), else its reason_text with {value} replaced
    by the customer's value (credit_reason_value). reason_code is 'feature' or 'feature:missing',
    reason_value the scorer's text of the value, seed the alias of the joined seed row.
-#}
{% macro credit_reason_text(reason_code, reason_value, seed) -%}
case
    when {{ reason_code }} like '%:missing' then {{ seed }}.missing_reason_text
    else {{ dbt.replace(seed ~ '.reason_text', "'{value}'",
                        credit_reason_value(reason_value, seed ~ '.value_format')) }}
end
{%- endmacro %}
