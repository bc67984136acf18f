--fail=appears twice
SELECT COUNT(*), COUNT(*) FROM s
