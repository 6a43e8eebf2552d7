-- DISTINCT and DISTINCT ON
SELECT DISTINCT x FROM (VALUES (1), (2), (1), (NULL), (NULL)) v(x) ORDER BY x;
SELECT DISTINCT x % 3 AS r FROM generate_series(1, 20) x ORDER BY r DESC;
SELECT DISTINCT a, b FROM (VALUES (1, 'x'), (1, 'x'), (1, 'y')) v(a, b) ORDER BY a, b;
SELECT count(*) FROM (SELECT DISTINCT x % 7 FROM generate_series(1, 1000) x) s;
SELECT DISTINCT ON (k) k, v FROM (VALUES ('a', 3), ('a', 1), ('b', 2), ('b', 5)) t(k, v) ORDER BY k, v DESC;
SELECT DISTINCT ON (k) k, v FROM (VALUES ('a', 3), ('a', 1), ('b', 2), ('b', 5)) t(k, v) ORDER BY k, v;
SELECT DISTINCT ON (x % 2) x FROM generate_series(1, 6) x ORDER BY x % 2, x DESC;
SELECT DISTINCT ON (1) x, y FROM (VALUES (1, 'a'), (1, 'b'), (2, 'c')) v(x, y) ORDER BY 1, 2 DESC;
SELECT DISTINCT x FROM (VALUES (1), (2)) v(x) ORDER BY -x;
SELECT DISTINCT ON (x) x, y FROM (VALUES (1, 'a'), (2, 'b')) v(x, y) ORDER BY y;
SELECT DISTINCT n FROM (VALUES (1.0), (1.00), (2)) v(n) ORDER BY n;
SELECT DISTINCT s FROM (VALUES ('a'::bpchar), ('a  '::bpchar)) v(s);
SELECT DISTINCT x, x + 0 FROM generate_series(1, 3) x ORDER BY 1;
