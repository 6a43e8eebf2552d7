-- ORDER BY ... LIMIT (TopN) and LIMIT pushed to the coprocessor
create table ct (id int primary key, a int, b int not null, t text, n numeric(6,1));
insert into ct select i, case when i % 7 = 0 then null else (i * 37) % 101 end, (i * 13) % 997, 't' || lpad(i::text, 4, '0'), (i % 50) / 2.0
  from generate_series(1, 2000) i;
select id, b from ct order by b, id limit 5;
select id, b from ct order by b desc, id limit 5;
select id, a from ct order by a, id limit 5;
select id, a from ct order by a desc, id limit 5;
select id, a from ct order by a nulls first, id limit 5;
select id, a from ct order by a desc nulls last, id desc limit 5;
select id, a from ct order by a, id limit 3 offset 4;
select t from ct order by t desc limit 3;
select id, n from ct where n > 20 order by n desc, id limit 4;
select id, a + b as s from ct where a > 50 order by a + b, id limit 4;
select id from ct where a is null order by id limit 3;
select id from ct order by id limit 3;
select id from ct order by id desc limit 3;
select id, t from ct where b < 100 order by b limit 0;
select count(*) from (select id from ct limit 17) s;
select id from ct where b = 500 limit 1;
-- a gateway-only predicate keeps the limit in the gateway
select id from ct where length(t) = 5 and b > 990 order by b, id limit 3;
drop table ct;
