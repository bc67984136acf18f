--fail=aggregates cannot be nested
SELECT SUM(COUNT(x)) FROM s
