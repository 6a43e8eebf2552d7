-- scans and filters pushed to the coprocessor, mixed with gateway-only expressions
create table cf (id int primary key, a int, b int8, t text, v varchar(10), c char(4), n numeric(8,2), f float4, d float8, bo bool, by bytea, dt date);
insert into cf select i, i % 10, i * 100, 't' || i, 'v' || (i % 3), 'c' || (i % 2), i / 4.0, i / 2.0, i / 3.0, i % 2 = 0, ('\x' || lpad(to_hex(i), 4, '0'))::bytea, date '2020-01-01' + i
  from generate_series(1, 400) i;
insert into cf values (401, null, null, null, null, null, null, null, null, null, null, null);
select id, a, t from cf where a = 3 and id < 50 order by id;
select id from cf where b >= 39000 order by id;
select id, t from cf where t > 't95' order by id;
select id from cf where v = 'v1' and c = 'c1' and id < 20 order by id;
select id from cf where c = 'c1  ' and id < 10 order by id;
select id, n from cf where n > 99.5 order by id;
select id, f, d from cf where f < 2 and d < 1 order by id;
select id from cf where bo and id < 10 order by id;
select id from cf where not bo and id < 10 order by id;
select id from cf where bo is true and id < 7 order by id;
select id from cf where bo is not false and id < 7 order by id;
select id from cf where bo is unknown;
select id from cf where by = '\x0010'::bytea;
select id from cf where a is null;
select id from cf where a is not null and id > 397 order by id;
select id from cf where a in (1, 2) and id < 25 order by id;
select id from cf where a not in (1, 2, 3, 4, 5, 6, 7, 8) and id < 25 order by id;
select id from cf where (a = 1 or b = 200) and id < 30 order by id;
select id from cf where t like '%99' order by id;
select id from cf where abs(a - 5) = 4 and id < 30 order by id;
select id from cf where a * 3 + 1 = 10 and id < 40 order by id;
select id from cf where b / 7 = 57 order by id;
select id from cf where a % 4 = 3 and id < 20 order by id;
select id from cf where n * 2 = 3.50 order by id;
select id from cf where a::numeric / 3 > 2.9 and id < 20 order by id;
-- mixed: pushed conjuncts plus one the gateway evaluates (date column, functions)
select id, dt from cf where a = 5 and dt > date '2020-06-01' order by id;
select id from cf where a = 2 and upper(t) = 'T12' order by id;
select id from cf where b > 100 and length(t) = 2 order by id;
-- a join whose inputs are coprocessor scans
create table cg (a int primary key, name text);
insert into cg select i, 'name' || i from generate_series(0, 9) i;
select cg.name, count(*) from cf join cg on cf.a = cg.a where cf.id < 100 group by cg.name order by cg.name;
-- subquery with an outer reference
select id, (select name from cg where cg.a = cf.a) from cf where id in (5, 6, 7) order by id;
select count(*) from cf where exists (select 1 from cg where cg.a = cf.a and cg.name like '%3');
-- columns added later with a default (absent from old rows)
alter table cg add column w int default 42;
insert into cg values (10, 'name10', 7);
select a, w from cg where w > 10 order by a;
select sum(w), count(*) from cg;
-- errors raised inside the store keep their SQLSTATE
select count(*) from cf where 100 / (a - 3) > 1;
select id from cf where a + 2147483647 > 0 and id < 5;
select sum(b * 92233720368547758) from cf;
select id from cf where n / (a - a) > 0;
drop table cf;
drop table cg;
