SELECT sensor, STDDEV_POP(v), STDDEV_SAMP(v), VAR_POP(v), VAR_SAMP(v) FROM readings GROUP BY sensor
