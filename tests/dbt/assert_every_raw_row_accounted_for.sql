-- Fails for any raw table whose rows are not all either clean or quarantined.
select
    source_table,
    raw_rows,
    clean_rows,
    quarantined_rows
from {{ ref('raw_row_accounting') }}
where raw_rows != clean_rows + quarantined_rows
