-- The accounts the champion scorecard was finally fitted on (shopper_scores.ml.credit.protocol):
-- the train and validation splits of int_credit_training_set, or the test split when there are
-- neither (the protocol then refits on test). Features as of each account's opening: the
-- training population of the stability reports.
{{ config(materialized='view') }}

with

training_set as (
    select * from {{ ref('int_credit_training_set') }}
),

fit_splits as (
    select sum(case when split in ('train', 'validation') then 1 else 0 end) as train_validation_rows
    from training_set
),

final as (
    select training_set.*
    from training_set
    cross join fit_splits
    where
        training_set.split in ('train', 'validation')
        or (fit_splits.train_validation_rows = 0 and training_set.split = 'test')
)

select * from final
