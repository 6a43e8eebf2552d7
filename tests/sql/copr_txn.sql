-- the coprocessor cannot see a transaction's own uncommitted writes: those
-- statements fall back to the gateway scan
create table cx (id int primary key, v int);
insert into cx select i, i from generate_series(1, 100) i;
begin;
select count(*), sum(v) from cx;
insert into cx values (101, 1000);
select count(*), sum(v) from cx;
update cx set v = v + 1 where id <= 10;
select sum(v) from cx where id <= 10;
delete from cx where id > 90;
select count(*), max(id) from cx;
select id, v from cx order by v desc limit 2;
rollback;
select count(*), sum(v) from cx;
-- writes to another table do not stop the pushdown, and do not leak
create table cy (id int primary key);
begin;
insert into cy values (1);
select count(*), sum(v) from cx;
select count(*) from cy;
commit;
select count(*) from cy;
-- repeatable read: every statement reads at the transaction's snapshot
begin isolation level repeatable read;
select count(*) from cx;
select sum(v) from cx where id > 50;
commit;
-- savepoint rolled back: no writes left in the table
begin;
savepoint s1;
insert into cx values (200, 5);
select count(*) from cx;
rollback to savepoint s1;
select count(*) from cx;
commit;
drop table cx;
drop table cy;
