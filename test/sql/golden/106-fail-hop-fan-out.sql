--fail=HOP puts each event in size / slide = 86400000 windows, over the limit of 1000 windows per event
SELECT k, COUNT(*) AS n FROM s GROUP BY k, HOP(ts, INTERVAL '1' MILLISECOND, INTERVAL '1' DAY)
