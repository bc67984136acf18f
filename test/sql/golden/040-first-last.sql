SELECT sensor, FIRST_VALUE(v) AS first, LAST_VALUE(v) AS last FROM readings GROUP BY sensor
