SELECT STDDEV(v) AS sd, VARIANCE(v) AS var FROM readings
