SELECT ROUND(AVG(ABS(delta)), 2) AS mad, MAX(POWER(x, 2)), MIN(SQRT(x)), SUM(MOD(n, 7)), MAX(FLOOR(x)), MIN(CEIL(x)) FROM metrics
