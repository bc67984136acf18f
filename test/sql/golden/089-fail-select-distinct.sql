--fail=SELECT DISTINCT is not supported
SELECT DISTINCT region FROM s
