SELECT code::int AS c, COUNT(*) FROM logs GROUP BY code::int
