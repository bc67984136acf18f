--fail=a continuous query must aggregate
SELECT x, y FROM s
