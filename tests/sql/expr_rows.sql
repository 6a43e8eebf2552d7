-- scalar functions and operators evaluated per row
SELECT x, x * x, x / 2, x % 3, -x, abs(x - 3), x::float8 / 4, x::numeric / 3 FROM generate_series(1, 4) x ORDER BY x;
SELECT x, power(2, x), sqrt(x::float8), round(x / 3.0, 2), trunc(x / 3.0, 1) FROM generate_series(1, 3) x ORDER BY x;
SELECT s, upper(s), length(s), substr(s, 2), s || '!', lpad(s, 6, '*'), replace(s, 'a', 'A') FROM (VALUES ('alpha'), ('beta'), ('')) v(s) ORDER BY s;
SELECT d, d + 1, d - date '2024-01-01', extract(dow FROM d), date_trunc('month', d) FROM (VALUES (date '2024-02-28'), (date '2024-03-01')) v(d) ORDER BY d;
SELECT t, t + interval '1 hour' FROM generate_series('2024-01-01 00:00'::timestamp, '2024-01-01 02:00', '1 hour') t ORDER BY t;
SELECT x, coalesce(nullif(x % 2, 0), -1) FROM generate_series(1, 4) x ORDER BY x;
SELECT concat(x, '-', x * 2), x::text || 'x' FROM generate_series(1, 2) x ORDER BY x;
SELECT x, 2147483647 + x FROM generate_series(0, 1) x ORDER BY x;
SELECT x, 10 / (x - 1) FROM generate_series(1, 2) x;
SELECT n, n * 2, n + 0.005, round(n, 1) FROM (VALUES (1.25), (2.5), (-0.75)) v(n) ORDER BY n;
SELECT split_part(s, ',', 2), position('b' IN s), strpos(s, 'c') FROM (VALUES ('a,b,c'), ('x,y')) v(s) ORDER BY 1;
SELECT x, CAST(x AS text), x::varchar(1), x::numeric(5, 2) FROM generate_series(9, 10) x ORDER BY x;
SELECT greatest(x, 5 - x), least(x, 5 - x) FROM generate_series(1, 4) x ORDER BY x;
SELECT x IS NULL, x IS NOT NULL, x > 1 IS TRUE FROM (VALUES (1), (NULL), (2)) v(x) ORDER BY x;
