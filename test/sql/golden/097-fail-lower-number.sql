--fail=LOWER needs text
SELECT LOWER(5), COUNT(*) FROM s
