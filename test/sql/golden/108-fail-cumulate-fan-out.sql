--fail=CUMULATE puts each event in max / step = 86400 windows, over the limit of 1000 windows per event
SELECT COUNT(*) AS n FROM s GROUP BY CUMULATE(ts, INTERVAL '1' SECOND, INTERVAL '1' DAY)
