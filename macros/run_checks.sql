{#- Checks that run as post-hooks, once the model they guard is built and before anything reads it:
    they stop the build (the node fails, its children are skipped) with a message that says what
    was read, what was rejected and why, or warn loudly (a dbt warning, an error under
    --warn-error). Each reads one-row tables or groups a base table by rejection_reason: cheap at
    any size. Hooks do not run in unit tests, and they only check during run / build. -#}

{% macro _checks_apply() -%}
    {{ return(execute and flags.WHICH in ('run', 'build')) }}
{%- endmacro %}


{% macro _one_row(relation) -%}
    {#- The single row of a one-row table, as a dict of column name -> value. -#}
    {%- set table = run_query("select * from " ~ relation) -%}
    {%- set row = {} -%}
    {%- for column in table.column_names -%}
        {%- do row.update({column: table.columns[column].values()[0]}) -%}
    {%- endfor -%}
    {{ return(row) }}
{%- endmacro %}


{% macro rejection_counts(base_model) -%}
    {#- "read N, rejected M (reason: k, ...)" for a base model, and the counts themselves. -#}
    {#- Read through the graph, not ref(): the guarded model reaches its base models through
        its parents already, and a ref here would make its unit tests ask for them as inputs. -#}
    {%- set node = graph.nodes.values() | selectattr('resource_type', 'equalto', 'model')
        | selectattr('name', 'equalto', base_model) | first -%}
    {%- set table = run_query(
        "select rejection_reason, count(*) as n from " ~ node.relation_name
        ~ " group by rejection_reason order by count(*) desc, rejection_reason") -%}
    {%- set counts = {'read': 0, 'clean': 0, 'reasons': {}} -%}
    {%- for row in table.rows -%}
        {%- do counts.update({'read': counts['read'] + row[1]}) -%}
        {%- if row[0] is none -%}
            {%- do counts.update({'clean': row[1]}) -%}
        {%- else -%}
            {%- do counts['reasons'].update({row[0]: row[1]}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set parts = [] -%}
    {%- for reason, n in counts['reasons'].items() -%}
        {%- do parts.append(reason ~ ": " ~ n) -%}
    {%- endfor -%}
    {%- do counts.update({'text': "read " ~ counts['read'] ~ ", rejected " ~ (counts['read'] - counts['clean'])
        ~ ((" (" ~ parts | join(', ') ~ ")") if parts else "")}) -%}
    {{ return(counts) }}
{%- endmacro %}


{% macro manifest_status_text(cut) -%}
    {#- Why the extraction manifest was not used, in words (stg_shop__extraction_manifest.manifest_status). -#}
    {%- set status = cut['manifest_status'] -%}
    {%- if status == 'missing' -%}
        {{ return("missing (no file at '" ~ raw_file_path('extraction_manifest') ~ "')") }}
    {%- elif status == 'empty' -%}
        {{ return("empty (0 rows)") }}
    {%- elif status == 'null' -%}
        {{ return("null (extracted_at holds no value)") }}
    {%- elif status == 'unparseable' -%}
        {{ return("unparseable (extracted_at is not a timestamp)") }}
    {%- elif status == 'before_first_order' -%}
        {{ return("before the data (extracted_at " ~ cut['manifest_extracted_at']
            ~ " precedes every order: all would be future_dated)") }}
    {%- elif status == 'too_far_after_last_order' -%}
        {{ return("implausibly late (extracted_at " ~ cut['manifest_extracted_at'] ~ " is more than "
            ~ var('cut_max_days_after_last_order') ~ " days, var cut_max_days_after_last_order, after the "
            ~ "last order of the main history, " ~ cut['main_history_end_at'] ~ ")") }}
    {%- endif -%}
    {{ return(status) }}
{%- endmacro %}


{% macro check_extraction_cut() -%}
    {#- Post-hook of stg_shop__extraction_manifest: warn whenever the manifest did not give the cut;
        stop when nothing can place it. -#}
    {%- if _checks_apply() -%}
        {%- set cut = _one_row(this) -%}
        {%- if cut['extracted_at'] is none -%}
            {{ exceptions.raise_compiler_error(
                "shopper_scores: cannot place the extraction cut: the extraction manifest is "
                ~ manifest_status_text(cut) ~ ", and none of the " ~ cut['raw_orders']
                ~ " raw orders has a usable ordered_at (" ~ cut['orders_unparseable_time'] ~ " unparseable, "
                ~ cut['orders_missing_time'] ~ " missing, the rest before var earliest_plausible_date or not finite). "
                ~ "Supply extraction_manifest." ~ var('raw_file_format') ~ " with extracted_at, or set var as_of_date.") }}
        {%- elif cut['cut_basis'] != 'manifest' -%}
            {%- set rule = "var as_of_date" if cut['cut_basis'] == 'var' else
                "the end of the main order history (fallback_main_history: the last order before the order rate "
                ~ "drops at least " ~ var('cut_fallback_min_rate_drop') ~ "-fold, var cut_fallback_min_rate_drop; "
                ~ cut['orders_after_main_history'] ~ " raw orders after it, latest " ~ cut['last_ordered_at'] ~ ")" -%}
            {%- do exceptions.warn(
                "shopper_scores: the extraction manifest is " ~ manifest_status_text(cut) ~ ", so the cut is "
                ~ cut['extracted_at'] ~ ", from " ~ rule ~ ". Rows dated after it are quarantined as future_dated. "
                ~ "Supply a usable extraction_manifest or set var as_of_date.") -%}
        {%- endif -%}
    {%- endif -%}
    select 1
{%- endmacro %}


{% macro check_scoring_context() -%}
    {#- Post-hook of int_scoring_context: no clean order, or none in the label windows, leaves
        nothing to learn from (every predicted_spend would be 0): stop. None in the H days before
        as_of_date: warn (the scores rest on stale behaviour). -#}
    {%- if _checks_apply() -%}
        {%- set context = _one_row(this) -%}
        {%- set cut = "as_of_date " ~ context['as_of_date'] ~ " (cut_basis " ~ context['cut_basis']
            ~ "; extraction cut " ~ context['extracted_at'] ~ ", basis " ~ context['extraction_cut_basis'] ~ ")" -%}
        {%- if context['clean_orders'] == 0 -%}
            {%- set orders = rejection_counts('base_shop__orders') -%}
            {%- set message = "shopper_scores: no clean order remains, nothing to score. Raw orders: "
                ~ orders['text'] ~ "." -%}
            {%- if shop_source_present('customers') -%}
                {%- set customers = rejection_counts('base_shop__customers') -%}
                {%- set message = message ~ " Raw customers: " ~ customers['text'] ~ ", clean " ~ customers['clean'] ~ "." -%}
                {%- if customers['clean'] == 0 -%}
                    {%- set message = message ~ " The customers table is the cause: with 0 clean customers every "
                        ~ "order is unknown_customer or parent_quarantined." -%}
                {%- elif 'unknown_customer' in orders['reasons'] -%}
                    {%- set message = message ~ " unknown_customer: the orders' customer_id values match no "
                        ~ "customers row (e.g. ids exported as floats lose digits beyond 2^53)." -%}
                {%- endif -%}
            {%- endif -%}
            {%- if 'future_dated' in orders['reasons'] -%}
                {%- set message = message ~ " future_dated: dated after the extraction cut " ~ context['extracted_at']
                    ~ " (basis " ~ context['extraction_cut_basis'] ~ ")." -%}
            {%- endif -%}
            {{ exceptions.raise_compiler_error(message ~ " Each rejected row is listed in quarantined_rows.") }}
        {%- elif context['clean_orders_in_label_windows'] == 0 -%}
            {{ exceptions.raise_compiler_error(
                "shopper_scores: " ~ cut ~ ": none of the " ~ context['clean_orders'] ~ " clean orders ("
                ~ context['first_order_date'] ~ " .. " ~ context['last_order_date'] ~ ") falls in the "
                ~ context['n_label_windows'] ~ " label windows of " ~ context['label_window_days']
                ~ " days before it: every training label and every predicted_spend would be 0. "
                ~ "Set var as_of_date within the data, or fix the extraction manifest.") }}
        {%- elif context['clean_orders_in_horizon_before'] == 0 -%}
            {%- do exceptions.warn(
                "shopper_scores: " ~ cut ~ ": no clean order in the " ~ context['horizon_days']
                ~ " days (horizon_days) before it; the latest is dated " ~ context['last_order_date']
                ~ ". Scores rest on stale behaviour: check var as_of_date or the extraction manifest.") -%}
        {%- endif -%}
    {%- endif -%}
    select 1
{%- endmacro %}
