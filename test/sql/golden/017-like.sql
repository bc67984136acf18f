SELECT COUNT(*) FROM logs WHERE path LIKE '/api/%'
