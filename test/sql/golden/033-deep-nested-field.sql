SELECT a.b.c.d AS v, COUNT(*) FROM events GROUP BY a.b.c.d
