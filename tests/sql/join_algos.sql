-- Joins whose plans use index lookup, merge and hash joins, and predicates
-- moved below joins: results must not depend on the algorithm chosen.
create table cust (id int primary key, region int not null, name text);
create table ord (id bigint primary key, cust_id int, amount numeric(10,2), note text);
create index ord_cust on ord (cust_id);
create table item (ord_id bigint, line int, qty int, primary key (ord_id, line));
create table tag (code text primary key, label text);
create table pair (id int primary key, other int);
insert into cust select g, g % 7, 'c' || g from generate_series(1, 300) g;
insert into ord select g, case when g % 50 = 0 then null else g % 400 + 1 end, (g % 97) * 1.25, case when g % 3 = 0 then 'x' end from generate_series(1, 3000) g;
insert into item select o, l, (o + l) % 5 from generate_series(1, 600) o, generate_series(1, 3) l;
insert into tag select 't' || g, 'label ' || g from generate_series(1, 50) g;
insert into pair select g, 3001 - g from generate_series(1, 3000) g;
analyze cust;
analyze ord;
analyze item;
analyze tag;
analyze pair;
-- small outer side, inner side by primary key / by index
select c.id, c.name, o.id, o.amount from cust c join ord o on o.cust_id = c.id where c.id between 3 and 5 order by o.id;
select o.id, c.name from ord o join cust c on c.id = o.cust_id where o.id < 12 order by o.id;
select o.id, c.name from ord o left join cust c on c.id = o.cust_id where o.id in (49, 50, 51, 399, 400) order by o.id;
select c.id, count(o.id) from cust c left join ord o on o.cust_id = c.id and o.amount > 100 where c.id <= 6 group by c.id order by c.id;
select c.id, o.id from cust c left join ord o on o.cust_id = c.id and c.region = 1 where c.id between 1 and 9 order by c.id, o.id;
select i.ord_id, i.line, o.amount from ord o join item i on i.ord_id = o.id where o.id between 10 and 12 order by 1, 2;
select i.ord_id, i.line from item i join ord o on o.id = i.ord_id and o.note is not null where i.ord_id < 8 order by 1, 2;
-- the smaller input is built or looked up whichever side it is written on
select c.id, i.ord_id, i.line, i.qty from cust c join item i on i.qty = c.region where c.id = 3 order by 2, 3;
select c.id, count(*) from cust c join item i on i.ord_id = c.id where c.id between 5 and 8 group by c.id order by 1;
select o.id, c.name, c.region from ord o join cust c on o.cust_id = c.id where c.id in (4, 9) and o.amount > 50 order by 1;
-- semi / anti joins written as EXISTS / NOT EXISTS / IN
select c.id from cust c where c.id < 20 and exists (select 1 from ord o where o.cust_id = c.id and o.amount > 110) order by 1;
select c.id from cust c where c.id < 30 and not exists (select 1 from ord o where o.cust_id = c.id) order by 1;
select o.id from ord o where o.id < 30 and o.cust_id in (select id from cust where region = 3) order by 1;
-- primary key to primary key (both sides ordered), all join types
select count(*), sum(p.other), min(c.name) from cust c join pair p on p.id = c.id;
select c.id, p.other from cust c join pair p on p.id = c.id and p.other % 2 = 0 where c.id > 290 order by 1;
select count(*), count(c.id), count(p.id) from cust c right join pair p on p.id = c.id;
select count(*), count(c.id), count(p.id) from pair p full join cust c on c.id = p.id + 2900;
select count(*) from pair p left join cust c on c.id = p.id where c.id is null;
-- keys from WHERE (comma joins), text keys, expressions
select o.id, c.region from ord o, cust c where o.cust_id = c.id and o.id between 100 and 104 order by 1;
select t.code, t.label from tag t, cust c where t.code = 't' || c.id and c.region = 2 and c.id < 40 order by 1;
select count(*) from ord o, cust c, item i where o.cust_id = c.id and i.ord_id = o.id and c.region = 4;
select c.id, o.id from cust c join ord o on o.cust_id = c.id + 1 where c.id < 4 order by 1, 2;
-- predicates on the null-extended side stay above outer joins
select c.id, o.id from cust c left join ord o on o.cust_id = c.id where o.id is null and c.id < 400 order by 1;
select c.id, o.id from cust c left join ord o on o.cust_id = c.id where coalesce(o.amount, 0) = 0 and c.id < 10 order by 1, 2;
select o.id, c.id from cust c right join ord o on o.cust_id = c.id where c.id is null and o.id < 200 order by 1;
select count(*) from cust c full join ord o on o.cust_id = c.id where c.id is null or o.id is null;
-- filters through subqueries, aggregates and set operations
select * from (select cust_id, count(*) n from ord group by cust_id) s where cust_id between 5 and 7 order by 1;
select * from (select id, name from cust union all select id, note from ord) u where id = 7 order by 2;
select * from (select c.id, c.name, o.amount from cust c join ord o on o.cust_id = c.id) s where s.id = 9 order by 3;
select * from (select distinct region from cust) d where region > 4 order by 1;
select c.id, (select max(o.amount) from ord o where o.cust_id = c.id) from cust c where c.id < 6 order by 1;
-- lookups see the transaction's own writes
begin;
insert into ord values (9001, 2, 5.00, 'own');
delete from ord where id = 402;
update cust set name = 'changed' where id = 2;
select c.name, o.id, o.note from cust c join ord o on o.cust_id = c.id where c.id = 2 order by o.id;
rollback;
select c.name, o.id from cust c join ord o on o.cust_id = c.id where c.id = 2 order by o.id;
-- NULL keys never match
insert into ord values (9002, null, 1, 'n');
select count(*) from ord o join cust c on c.id = o.cust_id where o.id > 2990;
select o.id, c.id from ord o left join cust c on c.id = o.cust_id where o.id > 2995 order by 1;
drop table cust, ord, item, tag, pair;
