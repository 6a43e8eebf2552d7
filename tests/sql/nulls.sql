-- NULL semantics across grouping, distinct, joins, sorting and aggregates
SELECT x, count(*) FROM (VALUES (NULL::int), (NULL), (1)) v(x) GROUP BY x ORDER BY x NULLS FIRST;
SELECT DISTINCT x FROM (VALUES (NULL::int), (NULL), (1)) v(x) ORDER BY x;
SELECT count(*), count(x), sum(x), avg(x), max(x), bool_or(x > 0), string_agg(x::text, ','), array_agg(x) FROM (VALUES (NULL::int), (NULL)) v(x);
SELECT a.x, b.x FROM (VALUES (NULL::int), (1)) a(x) LEFT JOIN (VALUES (NULL::int), (1)) b(x) USING (x) ORDER BY 1 NULLS FIRST;
SELECT x FROM (VALUES (NULL::int), (1)) a(x) INTERSECT SELECT x FROM (VALUES (NULL::int)) b(x);
SELECT x FROM (VALUES (NULL::int), (1), (NULL)) a(x) UNION SELECT NULL::int ORDER BY 1;
SELECT NULL::int IN (1, 2), NULL::int IN (NULL), 1 IN (2, NULL), 1 NOT IN (2, NULL), 1 IN (1, NULL);
SELECT NULL::int = ANY(ARRAY[1]), 1 = ANY(ARRAY[NULL::int]), 1 = ALL(ARRAY[1, NULL]);
SELECT x, rank() OVER (ORDER BY x), lag(x) OVER (ORDER BY x) FROM (VALUES (NULL::int), (1), (NULL)) v(x) ORDER BY x;
SELECT sum(x) OVER (ORDER BY y) FROM (VALUES (NULL::int, 1), (2, 2), (NULL, 3)) v(x, y) ORDER BY y;
SELECT x, CASE WHEN x THEN 'yes' WHEN NOT x THEN 'no' ELSE 'unknown' END FROM (VALUES (true), (false), (NULL)) v(x) ORDER BY x;
SELECT NULL::text || 'a', concat(NULL, 'a'), length(NULL::text);
SELECT min(x), max(x) FROM (VALUES (NULL::text), ('b'), ('a')) v(x);
