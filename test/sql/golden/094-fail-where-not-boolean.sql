--fail=WHERE needs a boolean condition
SELECT COUNT(*) FROM s WHERE 'yes'
