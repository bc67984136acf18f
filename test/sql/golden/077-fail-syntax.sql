--fail=syntax error
SELEC COUNT(*) FROM s
