-- correlated subqueries at several levels
SELECT x, (SELECT count(*) FROM generate_series(1, 10) y WHERE y % x = 0) AS multiples FROM generate_series(1, 4) x ORDER BY x;
SELECT x FROM generate_series(1, 10) x WHERE NOT EXISTS (SELECT 1 FROM generate_series(2, x - 1) d WHERE x % d = 0) AND x > 1 ORDER BY x;
SELECT x, (SELECT (SELECT x * 100 + y) FROM generate_series(1, 1) y) FROM generate_series(1, 3) x ORDER BY x;
SELECT x, (SELECT sum(y) FROM generate_series(1, x) y WHERE y IN (SELECT z FROM generate_series(1, x) z WHERE z % 2 = 1)) FROM generate_series(1, 5) x ORDER BY x;
SELECT k, sum(v) FROM (VALUES ('a', 1), ('a', 2), ('b', 5)) t(k, v) GROUP BY k HAVING sum(v) > (SELECT count(*) FROM (VALUES ('a'), ('b'), ('c')) u(k2) WHERE u.k2 >= t.k) ORDER BY k;
SELECT k, (SELECT max(v2) FROM (VALUES ('a', 10), ('b', 20)) u(k2, v2) WHERE u.k2 = t.k) FROM (VALUES ('a'), ('b'), ('c')) t(k) ORDER BY k;
SELECT x FROM generate_series(1, 6) x WHERE x > (SELECT avg(y) FROM generate_series(1, x) y) + 1 ORDER BY x;
SELECT x, EXISTS (SELECT 1 WHERE x > 2) FROM generate_series(1, 4) x ORDER BY x;
SELECT x FROM generate_series(1, 5) x WHERE x = ANY (SELECT y * 2 FROM generate_series(1, x) y) ORDER BY x;
SELECT x, (SELECT string_agg(y::text, ',' ORDER BY y) FROM generate_series(1, x) y) FROM generate_series(1, 3) x ORDER BY x;
SELECT x, (SELECT y FROM generate_series(1, x) y ORDER BY y DESC LIMIT 1) FROM generate_series(1, 3) x ORDER BY x;
SELECT x, (SELECT y FROM generate_series(1, x) y) FROM generate_series(1, 3) x ORDER BY x;
SELECT a.x, (SELECT count(*) FROM (VALUES (1), (2), (3)) b(y) WHERE b.y < a.x) FROM (VALUES (1), (3)) a(x) ORDER BY 1;
SELECT x, (SELECT x + y FROM (SELECT 10 AS y) s) FROM generate_series(1, 2) x ORDER BY x;
SELECT x, sum(x) OVER (), (SELECT count(*) FROM generate_series(1, x)) FROM generate_series(1, 3) x ORDER BY x;
