{#- Raw sources are files under var('raw_data_path'). Only `orders` is mandatory: a missing (or
    0-byte) optional table is replaced by an empty, typed relation built from the column list
    documented in _shop__sources.yml, so its features come out empty instead of the build crashing.
    Every path or name taken from the raw files reaches SQL through raw_sql_string() only. -#}

{% macro raw_file_path(table_name) -%}
    {{ var('raw_data_path') }}/{{ table_name }}.{{ var('raw_file_format') }}
{%- endmacro %}


{% macro raw_sql_string(value) -%}
    {#- A string literal with its quotes doubled: a path (or CSV header name) with quotes, spaces or
        unicode cannot end the literal early. -#}
    '{{ value | string | replace("'", "''") }}'
{%- endmacro %}


{% macro raw_file_state(table_name) -%}
    {#- 'missing', 'empty' (0 bytes, or a CSV without a header line) or 'present'. -#}
    {{ return(adapter.dispatch('raw_file_state', 'shopper_scores')(table_name)) }}
{%- endmacro %}

{% macro default__raw_file_state(table_name) -%}
    {#- Adapters without a file system view (warehouse tables) treat every source as present. -#}
    {{ return('present') }}
{%- endmacro %}

{% macro duckdb__raw_file_state(table_name) -%}
    {%- if not execute -%}
        {{ return('present') }}
    {%- endif -%}
    {%- set path = raw_sql_string(raw_file_path(table_name)) -%}
    {%- if run_query("select count(*) from glob(" ~ path ~ ")").columns[0].values()[0] == 0 -%}
        {{ return('missing') }}
    {%- endif -%}
    {#- read_blob without its content column reads the size only, not the file. -#}
    {%- if run_query("select sum(size) from read_blob(" ~ path ~ ")").columns[0].values()[0] == 0 -%}
        {{ return('empty') }}
    {%- endif -%}
    {%- if var('raw_file_format') == 'csv' and not raw_csv_header(table_name) -%}
        {{ return('empty') }}
    {%- endif -%}
    {{ return('present') }}
{%- endmacro %}

{% macro spark__raw_file_state(table_name) -%}
    {#- Spark lists the raw directory (binaryFile: paths and sizes, no content read). Its scans skip
        0-byte files, so a 0-byte file reads as 'missing' here (absent, without the warning). Raw
        files are Parquet on Spark: the fixed-dialect CSV checks are DuckDB's (docs/spark.md). -#}
    {%- if not execute -%}
        {{ return('present') }}
    {%- endif -%}
    {%- if var('raw_file_format') != 'parquet' -%}
        {{ exceptions.raise_compiler_error(
            "shopper_scores: the Spark target reads Parquet raw files only (var raw_file_format is '"
            ~ var('raw_file_format') ~ "'). Convert the files to Parquet, or build with the DuckDB "
            ~ "target, which reads CSV (see docs/spark.md).") }}
    {%- endif -%}
    {%- set listed = run_query(
        "select count(*) from binaryFile." ~ spark_path_identifier(var('raw_data_path'))
        ~ " where substring_index(path, '/', -1) = " ~ raw_sql_string(table_name ~ '.parquet')) -%}
    {{ return('present' if listed.columns[0].values()[0] > 0 else 'missing') }}
{%- endmacro %}


{% macro spark_path_identifier(path) -%}
    {#- A path as Spark's `format`.`path` identifier: backticks doubled, so none ends it early. -#}
    `{{ path | string | replace('`', '``') }}`
{%- endmacro %}


{% macro shop_source_present(table_name) -%}
    {#- An empty file counts as absent: it is read as the empty documented relation. -#}
    {{ return(raw_file_state(table_name) == 'present') }}
{%- endmacro %}


{% macro shop_source(table_name) -%}
    {#- source() is always called so lineage shows the dependency, present or not. Only the
        documented columns are read (undocumented ones are ignored); a documented column the file
        lacks is read as a typed null (check_raw_inputs has already stopped on missing required ones). -#}
    {%- set relation = source('shop', table_name) -%}
    {%- if not execute -%}
        {{ relation }}
    {%- elif not shop_source_present(table_name) -%}
        ({{ empty_shop_source(table_name) }}) as raw_{{ table_name }}
    {%- else -%}
        {%- set available = raw_file_columns(table_name) -%}
        (
            select
            {%- for column in shop_source_node(table_name).columns.values() %}
                {%- if available is none or column.name | lower in available %}
                {{ column.name }}{{ "," if not loop.last }}
                {%- else %}
                cast(null as {{ documented_type(column.data_type) }}) as {{ column.name }}{{ "," if not loop.last }}
                {%- endif %}
            {%- endfor %}
            from {{ read_raw_file(table_name) }}
        ) as raw_{{ table_name }}
    {%- endif -%}
{%- endmacro %}


{% macro shop_source_node(table_name) -%}
    {{ return(graph.sources.values() | selectattr('source_name', 'equalto', 'shop')
        | selectattr('name', 'equalto', table_name) | first) }}
{%- endmacro %}


{% macro raw_file_columns(table_name) -%}
    {#- Lower-cased column names of a present raw file, or none when they cannot be known. -#}
    {{ return(adapter.dispatch('raw_file_columns', 'shopper_scores')(table_name)) }}
{%- endmacro %}

{% macro default__raw_file_columns(table_name) -%}
    {{ return(none) }}
{%- endmacro %}

{% macro duckdb__raw_file_columns(table_name) -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if var('raw_file_format') == 'csv' -%}
        {{ return(raw_csv_header(table_name) | map('lower') | list) }}
    {%- endif -%}
    {{ return(raw_parquet_schema(table_name).keys() | list) }}
{%- endmacro %}

{% macro spark__raw_file_columns(table_name) -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(raw_parquet_schema(table_name).keys() | list) }}
{%- endmacro %}


{% macro raw_parquet_schema(table_name) -%}
    {#- {lower-cased column name: engine type} of a Parquet file, from its metadata only. -#}
    {%- set described = run_query(describe_query("select * from " ~ read_raw_parquet(raw_file_path(table_name)))) -%}
    {%- set schema = {} -%}
    {%- for row in described.rows -%}
        {%- do schema.update({row[0] | lower: row[1]}) -%}
    {%- endfor -%}
    {{ return(schema) }}
{%- endmacro %}


{% macro read_raw_file(table_name) -%}
    {%- set path = raw_file_path(table_name) -%}
    {%- if var('raw_file_format') == 'csv' -%}
        {{ read_raw_csv(path, raw_csv_header(table_name)) }}
    {%- else -%}
        {{ read_raw_parquet(path) }}
    {%- endif -%}
{%- endmacro %}


{% macro read_raw_parquet(path) -%}
    {{ return(adapter.dispatch('read_raw_parquet', 'shopper_scores')(path)) }}
{%- endmacro %}

{% macro default__read_raw_parquet(path) -%}
    read_parquet({{ raw_sql_string(path) }})
{%- endmacro %}

{% macro spark__read_raw_parquet(path) -%}
    parquet.{{ spark_path_identifier(path) }}
{%- endmacro %}


{% macro describe_query(sql) -%}
    {#- The statement that lists a query's result columns (name, type) without running it. -#}
    {{ return(adapter.dispatch('describe_query', 'shopper_scores')(sql)) }}
{%- endmacro %}

{% macro default__describe_query(sql) -%}
    describe {{ sql }}
{%- endmacro %}

{% macro spark__describe_query(sql) -%}
    describe query {{ sql }}
{%- endmacro %}


{% macro raw_csv_header(table_name) -%}
    {#- The names in a CSV file's first line ([] when there is none). Read on its own so the file
        itself is parsed with a fixed dialect: DuckDB's sniffer fails, or silently reads every line
        as one column, on a file with a malformed row. A blank name keeps its position as column<i>. -#}
    {%- set first = run_query(
        "select header_line from read_csv(" ~ raw_sql_string(raw_file_path(table_name))
        ~ ", auto_detect = false, header = false, columns = {'header_line': 'varchar'}, delim = '\\0',"
        ~ " quote = '', escape = '', strict_mode = false, ignore_errors = true) limit 1") -%}
    {%- set line = (first.columns[0].values() | first) if first.rows | length > 0 else none -%}
    {%- if line is none or line | trim == '' -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set names = [] -%}
    {%- for name in line.split(',') -%}
        {%- set cleaned = name | trim | trim('"') | trim -%}
        {%- do names.append(cleaned if cleaned else 'column' ~ loop.index0) -%}
    {%- endfor -%}
    {{ return(names) }}
{%- endmacro %}


{% macro read_raw_csv(path, header_names, strict_mode=true, store_rejects=false) -%}
    {{ return(adapter.dispatch('read_raw_csv', 'shopper_scores')(path, header_names, strict_mode, store_rejects)) }}
{%- endmacro %}

{% macro default__read_raw_csv(path, header_names, strict_mode, store_rejects) -%}
    {#- The fixed-dialect CSV reader and its line checks are DuckDB's (raw_file_state stops earlier
        with the same advice on Spark). -#}
    {{ exceptions.raise_compiler_error(
        "shopper_scores: CSV raw files are read by the DuckDB target only; on " ~ target.type
        ~ " convert them to Parquet (var raw_file_format: parquet).") }}
{%- endmacro %}

{% macro duckdb__read_raw_csv(path, header_names, strict_mode, store_rejects) -%}
    {#- Every CSV value is read as text: a sniffed type would make one bad value ('n/a' in an
        amount column) fail the whole read. Staging casts each value safely and quarantines
        what does not parse (unparseable_value). The dialect is fixed (RFC 4180: comma, double
        quotes, header row, UTF-8), so no row can change how the others are read. -#}
    read_csv(
        {{ raw_sql_string(path) }}, auto_detect = false, header = true, delim = ',', quote = '"', escape = '"',
        strict_mode = {{ 'true' if strict_mode else 'false' }},
        {%- if store_rejects %}
        store_rejects = true, rejects_table = 'shopper_scores_csv_rejects',
        rejects_scan = 'shopper_scores_csv_reject_scans',
        {%- endif %}
        columns = { {%- for name in header_names %}{{ raw_sql_string(name) }}: 'varchar'{{ ", " if not loop.last }}{% endfor -%} }
    )
{%- endmacro %}


{% macro empty_shop_source(table_name) -%}
    select
    {%- for column in shop_source_node(table_name).columns.values() %}
        cast(null as {{ documented_type(column.data_type) }}) as {{ column.name }}{{ "," if not loop.last }}
    {%- endfor %}
    where 1 = 0
{%- endmacro %}


{% macro documented_type(data_type) -%}
    {#- A documented column type (_shop__sources.yml) as this engine spells it. -#}
    {{ return(adapter.dispatch('documented_type', 'shopper_scores')(data_type)) }}
{%- endmacro %}

{% macro default__documented_type(data_type) -%}
    {{ return(data_type) }}
{%- endmacro %}

{% macro spark__documented_type(data_type) -%}
    {#- Spark's varchar needs a length; its unbounded text type is string. -#}
    {{ return(dbt.type_string() if data_type | lower in ('varchar', 'text') else data_type) }}
{%- endmacro %}


{% macro check_raw_inputs() -%}
    {#- Runs before every dbt run/build/test: fail early, with a message a user can act on. The
        checks read file metadata, plus one bounded column scan where a float holds ids and two
        parsing passes over each CSV file (for line-numbered errors). -#}
    {%- if execute and flags.WHICH in ('run', 'build', 'test') -%}
        {%- set orders_state = raw_file_state('orders') -%}
        {%- if orders_state == 'missing' -%}
            {{ exceptions.raise_compiler_error(
                "shopper_scores: no raw orders file at '" ~ raw_file_path('orders') ~ "'. "
                ~ "orders is the only mandatory raw table; point var raw_data_path at the directory "
                ~ "holding <table>." ~ var('raw_file_format') ~ " files (see README, 'Raw data').") }}
        {%- elif orders_state == 'empty' -%}
            {{ exceptions.raise_compiler_error(
                "shopper_scores: the orders file '" ~ raw_file_path('orders') ~ "' is empty (no header, no rows). "
                ~ "orders is the only mandatory raw table: re-export it (a CSV needs at least its header line).") }}
        {%- endif -%}
        {#- Every file is checked before stopping, so one run lists every problem. -#}
        {%- set problems = [] -%}
        {%- for node in graph.sources.values() if node.source_name == 'shop' -%}
            {%- set state = raw_file_state(node.name) -%}
            {%- if state == 'empty' -%}
                {%- do exceptions.warn(
                    "shopper_scores: raw file '" ~ raw_file_path(node.name) ~ "' is empty (no header, no rows); "
                    ~ node.name ~ " is read as an empty table with its documented columns, as if the file were absent.") -%}
            {%- elif state == 'present' -%}
                {%- do problems.extend(raw_file_problems(node)) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if problems -%}
            {{ exceptions.raise_compiler_error("shopper_scores: unusable raw file(s):\n- " ~ problems | join("\n- ")) }}
        {%- endif -%}
    {%- endif -%}
    select 1
{%- endmacro %}


{% macro raw_file_problems(node) -%}
    {#- The messages (one per problem kind) that make a present raw file unusable; [] when it is fine. -#}
    {%- set path = raw_file_path(node.name) -%}
    {%- set available = raw_file_columns(node.name) -%}
    {%- set missing = [] -%}
    {%- for column in node.meta.get('required_columns', []) -%}
        {%- if available is not none and column | lower not in available -%}
            {%- do missing.append(column) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set problems = [] -%}
    {%- if missing -%}
        {%- do problems.append(
            "raw file '" ~ path ~ "' lacks required column(s) "
            ~ missing | join(', ') ~ " (it has: " ~ available | join(', ') ~ "). "
            ~ "See _shop__sources.yml for the raw layout"
            ~ ("; a CSV file must be comma-separated with a header line." if var('raw_file_format') == 'csv' else ".")) -%}
    {%- endif -%}
    {%- do problems.extend(raw_content_problems(node)) -%}
    {{ return(problems) }}
{%- endmacro %}


{% macro raw_content_problems(node) -%}
    {#- What reading a present file finds: malformed CSV lines, or Parquet columns of the wrong type. -#}
    {{ return(adapter.dispatch('raw_content_problems', 'shopper_scores')(node)) }}
{%- endmacro %}

{% macro default__raw_content_problems(node) -%}
    {#- Adapters without a file system view (warehouse tables) have no file to read. -#}
    {{ return([]) }}
{%- endmacro %}

{% macro duckdb__raw_content_problems(node) -%}
    {%- if var('raw_file_format') == 'csv' -%}
        {{ return(raw_csv_line_problems(node)) }}
    {%- endif -%}
    {{ return(raw_parquet_type_problems(node)) }}
{%- endmacro %}

{% macro spark__raw_content_problems(node) -%}
    {#- Parquet only: spark__raw_file_state has stopped on any other format. -#}
    {{ return(raw_parquet_type_problems(node)) }}
{%- endmacro %}


{% macro raw_csv_line_problems(node) -%}
    {#- DuckDB's (its CSV reader's rejects tables): called by duckdb__raw_content_problems only.
        Stop, naming the lines, rather than quarantine: a malformed line has no trustworthy fields
        to key a quarantine row on. The lenient pass finds short rows, unterminated quotes and
        non-UTF-8 bytes without failing on a bare carriage return; the strict pass (the mode the
        build reads in) finds rows with too many fields. Every column is counted: a bare count(*)
        would not decode the values, and miss the non-UTF-8 ones. -#}
    {%- set path = raw_file_path(node.name) -%}
    {%- set header = raw_csv_header(node.name) -%}
    {%- set seen = [] -%}
    {%- set repeated = [] -%}
    {%- for name in header -%}
        {%- do (repeated if name | lower in seen else seen).append(name | lower) -%}
    {%- endfor -%}
    {%- if repeated -%}
        {{ return(["raw file '" ~ path ~ "' repeats column name(s) " ~ repeated | unique | join(', ')
            ~ " in its header line; each column needs its own name."]) }}
    {%- endif -%}
    {%- set labels = {
        'TOO MANY COLUMNS': 'too many fields',
        'MISSING COLUMNS': 'too few fields (an unterminated quote or a bare carriage return also cuts a row short)',
        'UNQUOTED VALUE': 'an unterminated or misplaced double quote',
        'INVALID ENCODING': 'bytes that are not UTF-8',
        'LINE SIZE OVER MAXIMUM': 'a line longer than the maximum line size'} -%}
    {%- for strict_mode in [false, true] -%}
        {%- set rejects = run_query(
            "drop table if exists shopper_scores_csv_rejects; drop table if exists shopper_scores_csv_reject_scans; "
            ~ "select count(columns(*)) from " ~ read_raw_csv(path, header, strict_mode=strict_mode, store_rejects=true) ~ "; "
            ~ "select line, min(error_type) as error_type, min(error_message) as error_message, "
            ~ "count(*) over () as bad_lines from shopper_scores_csv_rejects group by line order by line limit 5") -%}
        {%- if rejects.rows | length > 0 -%}
            {%- set lines = [] -%}
            {%- for row in rejects.rows -%}
                {%- do lines.append("line " ~ row[0] ~ ": " ~ labels.get(row[1], row[1] | lower)
                    ~ " (" ~ row[2] ~ ")") -%}
            {%- endfor -%}
            {{ return(["raw file '" ~ path ~ "' has " ~ rejects.rows[0][3] ~ " malformed CSV line(s); "
                ~ ("the first: " if rejects.rows[0][3] > 5 else "") ~ lines | join('; ') ~ ". "
                ~ "The layout is RFC 4180: comma-separated UTF-8 with a header line, a value holding a comma, "
                ~ "a quote or a line break in double quotes. Fix or remove these lines and rerun."]) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return([]) }}
{%- endmacro %}


{% macro raw_type_family(data_type) -%}
    {#- text, number, time or other: the families a documented type accepts (see raw_parquet_type_problems). -#}
    {%- set name = data_type | upper -%}
    {%- if name in ('VARCHAR', 'TEXT', 'STRING', 'UUID') -%}
        {{ return('text') }}
    {%- elif name in ('TINYINT', 'SMALLINT', 'INTEGER', 'INT', 'BIGINT', 'HUGEINT', 'UTINYINT', 'USMALLINT',
                      'UINTEGER', 'UBIGINT', 'UHUGEINT', 'FLOAT', 'REAL', 'DOUBLE') or name.startswith('DECIMAL') -%}
        {{ return('number') }}
    {%- elif name.startswith('TIMESTAMP') or name == 'DATE' -%}
        {{ return('time') }}
    {%- endif -%}
    {{ return('other') }}
{%- endmacro %}


{% macro raw_parquet_type_problems(node) -%}
    {#- A documented column must hold its own family or text that staging parses (quarantining what
        does not): a number any integer, decimal or float type; a timestamp or date any timestamp
        (with or without time zone) or a date; a text column text or numbers (integer ids). Anything
        else would be read wrongly, not rejected row by row: a boolean discount casts to 1.0, an
        epoch integer never parses as a time, a struct or list has no scalar value. A text column
        stored as float must hold whole numbers below 2^53, else ids no longer match their parents.
        A column of the wrong type holding only nulls is harmless (read as typed nulls). -#}
    {%- set path = raw_file_path(node.name) -%}
    {%- set reader = read_raw_parquet(path) -%}
    {%- set schema = raw_parquet_schema(node.name) -%}
    {%- set problems = [] -%}
    {%- for column in node.columns.values() if column.name | lower in schema -%}
        {%- set found = schema[column.name | lower] -%}
        {%- set expected = raw_type_family(column.data_type) -%}
        {%- set family = raw_type_family(found) -%}
        {%- set quoted = adapter.quote(column.name) -%}
        {%- if family != 'text' and family != expected and not (expected == 'text' and family == 'number') -%}
            {%- set filled = run_query("select count(*) from (select 1 from " ~ reader ~ " where "
                ~ quoted ~ " is not null limit 1)").columns[0].values()[0] -%}
            {%- if filled > 0 -%}
                {%- do problems.append(column.name ~ " is " ~ found ~ ", expected " ~ column.data_type
                    ~ " (" ~ {'number': 'a number', 'time': 'a timestamp, a date or text; epoch numbers are not read as times',
                              'text': 'text or integers'}[expected] ~ ")") -%}
            {%- endif -%}
        {%- elif expected == 'text' and found | upper in ('FLOAT', 'REAL', 'DOUBLE') -%}
            {%- set inexact = run_query("select count(*) from " ~ reader ~ " where " ~ quoted ~ " is not null and not ("
                ~ "not (" ~ is_non_finite(quoted) ~ ") and " ~ quoted ~ " = floor(" ~ quoted ~ ") and abs(" ~ quoted
                ~ ") < 9007199254740992)").columns[0].values()[0] -%}
            {%- if inexact > 0 -%}
                {%- do problems.append(column.name ~ " is " ~ found ~ " with " ~ inexact ~ " value(s) that are not "
                    ~ "whole numbers below 2^53, expected " ~ column.data_type ~ " (write ids as integers or text)") -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if problems -%}
        {{ return(["raw file '" ~ path ~ "' has column(s) of the wrong type: " ~ problems | join('; ')
            ~ ". See _shop__sources.yml for the documented types."]) }}
    {%- endif -%}
    {{ return([]) }}
{%- endmacro %}


{% macro shop_row_tables() -%}
    {#- The raw tables whose rows are cleaned or quarantined (all but the extraction manifest). -#}
    {{ return(['customers', 'products', 'orders', 'order_items', 'events', 'reviews', 'refunds',
               'credit_accounts', 'repayments']) }}
{%- endmacro %}
