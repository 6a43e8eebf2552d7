-- aggregates pushed to the coprocessor (partial per region, merged in the gateway)
create table ca (id int primary key, g int, k text, a int2, b int4, c int8, m numeric(12,3), u numeric, f float8);
-- empty table: count 0, other aggregates NULL
select count(*), count(b), sum(a), sum(b), sum(c), sum(m), avg(b), avg(m), min(k), max(f) from ca;
select g, count(*) from ca group by g;
insert into ca select i, i % 5, 'k' || (i % 7), (i % 100)::int2, i * 7, i::int8 * 1000003, i / 8.0, i / 3.0, i * 0.25
  from generate_series(1, 3000) i;
insert into ca values (3001, null, null, null, null, null, null, null, null), (3002, 1, null, null, 5, null, 1.5, null, null);
select count(*), count(g), count(k), count(a), count(b), count(c), count(m), count(u), count(f) from ca;
select sum(a), sum(b), sum(c), sum(m), sum(u) from ca;
select avg(a), avg(b), avg(c), avg(m), avg(u) from ca;
select min(a), max(a), min(b), max(b), min(c), max(c), min(m), max(m), min(k), max(k), min(f), max(f) from ca;
select g, count(*), sum(b), avg(m), min(k), max(c) from ca group by g order by g;
select k, count(*), sum(a) from ca group by k order by k;
select g, k, count(*) from ca where b > 100 group by g, k order by g, k limit 12;
select b % 3 as r, count(*), sum(c) from ca group by b % 3 order by r;
select g, sum(b) from ca group by g having sum(b) > 3000000 order by g;
-- sum(int8) beyond int8 becomes numeric, as in PostgreSQL
create table cbig (id int primary key, v int8);
insert into cbig select i, 9223372036854775807 - i from generate_series(1, 50) i;
select sum(v), avg(v), min(v), max(v), count(*) from cbig;
-- sum(int4) past int8 cannot happen; sum(int2) of negatives
create table csmall (id int primary key, s int2, q numeric(5,2));
insert into csmall select i, (-i)::int2, -i / 100.0 from generate_series(1, 500) i;
select sum(s), avg(s), sum(q), avg(q), min(q), max(q) from csmall;
-- aggregates with arithmetic arguments and filters
select sum(b + 1), sum(c * 2), avg(b / 7), max(m * 2), min(-b) from ca where g is not null;
select count(*) from ca where k like 'k1%';
select count(*) from ca where k not like 'k1%';
select count(*), sum(b) from ca where b between 1000 and 2000 or g = 3;
select count(*) from ca where g in (1, 2) and a is not null;
select count(*) from ca where m is null;
select count(*) from ca where coalesce(g, -1) = -1;
select count(*) from ca where case when b > 100 then g else 0 end = 2;
select count(*) from ca where g is distinct from 1;
select count(*) from ca where g is not distinct from null;
-- DISTINCT aggregates stay in the gateway
select count(distinct g), count(distinct k) from ca;
-- float sums stay in the gateway
select sum(f), avg(f) from ca;
-- a WHERE with an expression the store does not run keeps aggregation in the gateway
select count(*), sum(b) from ca where length(k) = 2;
select count(*), sum(b) from ca where length(k) = 2 and b > 50;
drop table ca;
drop table cbig;
drop table csmall;
