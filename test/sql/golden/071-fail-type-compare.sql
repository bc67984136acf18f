--fail=cannot compare varchar with integer
SELECT COUNT(*) FROM s WHERE 'a' > 1
