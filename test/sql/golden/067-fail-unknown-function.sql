--fail=unknown function FOO
SELECT FOO(x) FROM s GROUP BY x
