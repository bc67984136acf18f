--fail=SUM needs a numeric argument
SELECT SUM('abc') FROM s
