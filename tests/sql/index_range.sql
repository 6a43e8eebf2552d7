-- Range conditions on indexed columns (index range scans in pgkv): bounds
-- strict and not, NULLs, text / date / timestamp keys, an equality prefix
-- of a two-column index, empty ranges, and the transaction's own writes.
create table ev (id int primary key, k int, name text, d date, ts timestamp, grp int);
create index ev_k on ev (k);
create index ev_name on ev (name);
create index ev_d on ev (d);
create index ev_ts on ev (ts);
create index ev_grp_k on ev (grp, k);
insert into ev select g, case when g % 10 = 0 then null else g end, 'n' || lpad(g::text, 4, '0'), date '2024-01-01' + g, timestamp '2024-01-01 00:00' + g * interval '1 hour', g % 3 from generate_series(1, 400) g;
select id from ev where k between 15 and 25 order by id;
select id from ev where k > 395 and k <= 400 order by id;
select id from ev where k >= 20 and k < 22 order by id;
select count(*) from ev where k > 100 and k < 100;
select count(*) from ev where k between 50 and 40;
select id, k from ev where k >= 398 and k <= 1000 order by id;
select id from ev where k between -5 and 3 order by id;
select id from ev where name between 'n0100' and 'n0104' order by id;
select id from ev where name > 'n0397' and name < 'n9' order by id;
select id from ev where name >= 'n0050' and name < 'n0052' order by id;
select id, d from ev where d between date '2024-03-01' and date '2024-03-04' order by id;
select id from ev where d > date '2025-02-01' and d <= date '2025-02-04' order by id;
select id, ts from ev where ts >= timestamp '2024-01-05 00:00' and ts < timestamp '2024-01-05 04:00' order by id;
select id from ev where grp = 1 and k > 380 order by id;
select id from ev where grp = 2 and k between 10 and 30 order by id;
select id from ev where grp = 0 and k < 12 order by id;
select id from ev where grp = 0 and k >= 390 and k < 400 order by id;
select count(*) from ev where k between 1 and 400;
select count(*) from ev where k between 1 and 400 and name like 'n01%';
begin;
insert into ev values (1001, 17, 'n0017b', date '2024-01-18', timestamp '2024-01-01 17:30', 2);
update ev set k = 18 where id = 30;
delete from ev where id = 19;
select id, k from ev where k between 16 and 20 order by id;
select id from ev where name between 'n0017' and 'n0018' order by id;
select id from ev where grp = 2 and k between 16 and 20 order by id;
rollback;
select id, k from ev where k between 16 and 20 order by id;
drop table ev;
