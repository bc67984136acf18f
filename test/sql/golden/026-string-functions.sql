SELECT LOWER(TRIM(country)) AS c, MAX(LENGTH(name)) AS longest, MIN(UPPER(SUBSTRING(name, 1, 3))) FROM users GROUP BY LOWER(TRIM(country))
