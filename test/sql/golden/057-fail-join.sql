--fail=JOIN is not supported
SELECT a.x FROM a JOIN b ON a.id = b.id
