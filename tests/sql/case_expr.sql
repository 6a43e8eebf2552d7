-- CASE, COALESCE, NULLIF, GREATEST/LEAST over rows
SELECT x, CASE WHEN x < 2 THEN 'small' WHEN x < 4 THEN 'mid' ELSE 'big' END FROM generate_series(1, 5) x ORDER BY x;
SELECT x, CASE x WHEN 1 THEN 'one' WHEN 2 THEN 'two' END FROM generate_series(1, 3) x ORDER BY x;
SELECT CASE WHEN x IS NULL THEN 'null' ELSE 'not null' END FROM (VALUES (1), (NULL)) v(x) ORDER BY 1;
SELECT CASE WHEN x > 0 THEN x ELSE 0.5 END FROM (VALUES (1), (-1)) v(x) ORDER BY 1;
SELECT CASE WHEN x > 0 THEN 'a' ELSE 1 END FROM (VALUES (1)) v(x);
SELECT coalesce(x, y, 0) FROM (VALUES (NULL, 2), (1, NULL), (NULL, NULL)) v(x, y) ORDER BY 1;
SELECT nullif(x, 2) FROM generate_series(1, 3) x ORDER BY x;
SELECT greatest(x, 2), least(x, 2) FROM generate_series(1, 3) x ORDER BY x;
SELECT sum(CASE WHEN x % 2 = 0 THEN x ELSE 0 END), count(CASE WHEN x > 3 THEN 1 END) FROM generate_series(1, 6) x;
SELECT CASE WHEN x = 0 THEN 0 ELSE 10 / x END FROM (VALUES (0), (5)) v(x) ORDER BY 1;
SELECT x, CASE WHEN x > 1 THEN (SELECT max(y) FROM generate_series(1, x) y) END FROM generate_series(1, 3) x ORDER BY x;
SELECT CASE WHEN count(*) > 2 THEN 'many' ELSE 'few' END FROM generate_series(1, 3);
