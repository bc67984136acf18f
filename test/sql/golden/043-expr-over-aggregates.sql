SELECT sensor, MAX(v) - MIN(v) AS spread, SUM(v) / COUNT(v) AS mean FROM readings GROUP BY sensor
