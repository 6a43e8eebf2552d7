-- aggregates over stored tables
create table agg_t (id int primary key, g text, n int, f float8, m numeric(10,2));
insert into agg_t select i, chr(97 + i % 4), i * 3 % 17, i / 4.0, i * 1.25 from generate_series(1, 200) i;
insert into agg_t values (201, null, null, null, null);
select count(*), count(n), sum(n), min(n), max(n), avg(n) from agg_t;
select sum(f), avg(f), min(m), max(m), sum(m), avg(m) from agg_t;
select g, count(*), sum(n), min(n), max(n) from agg_t group by g order by g;
select g, avg(m) from agg_t group by g having avg(m) > 125 order by g;
select count(*) from agg_t where n > 10;
select sum(n) from agg_t where id between 50 and 60;
select count(distinct n), count(distinct g) from agg_t;
select n % 5 as k, count(*) from agg_t group by k order by k;
select g, string_agg(id::text, ',' order by id) from agg_t where id <= 8 group by g order by g;
select bool_and(n > 0), bool_or(n > 15) from agg_t;
select max(g), min(g) from agg_t;
select count(*) from agg_t where false;
select sum(n) from agg_t where id > 1000;
drop table agg_t;
