-- How many predictions a logged feature row stands for: 1 / the share of predictions that kept their features when it
-- was logged (LeadScore:Monitoring:FeatureSampleRate and FeatureRowsPerSecond). Null: 1 (every row kept, and rows
-- logged before this column). Drift monitoring draws its reservoir in proportion to it, so a sampled log stays unbiased
-- when the sampling rate changes with the traffic.
ALTER TABLE prediction_log ADD COLUMN feature_weight REAL NULL;
