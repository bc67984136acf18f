SELECT COUNT(*) FROM logs WHERE agent ILIKE '%bot%'
