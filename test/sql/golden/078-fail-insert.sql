--fail=only SELECT is supported
INSERT INTO s (a) VALUES (1)
