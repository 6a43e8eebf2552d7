-- ORDER BY / LIMIT / OFFSET over stored tables
create table ol_t (id int primary key, k int, s text);
insert into ol_t select i, (i * 37) % 101, 'row' || i from generate_series(1, 500) i;
insert into ol_t values (501, null, null), (502, null, 'z');
select id, k from ol_t order by k, id limit 5;
select id, k from ol_t order by k desc, id limit 5;
select id, k from ol_t order by k desc nulls last, id limit 5;
select id, k from ol_t order by k nulls first, id limit 4;
select id from ol_t order by id limit 3 offset 10;
select id from ol_t order by id desc limit 3;
select id, s from ol_t where k > 90 order by s limit 5;
select id from ol_t limit 0;
select count(*) from (select id from ol_t limit 10) x;
select id, k from ol_t where k = 50 order by id;
select s from ol_t order by s desc limit 3;
select k, count(*) from ol_t group by k order by count(*) desc, k limit 3;
drop table ol_t;
