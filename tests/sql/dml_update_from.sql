-- UPDATE ... FROM and DELETE ... USING
create table uf_acct (id int primary key, owner text, bal int);
create table uf_tx (acct int, amount int);
insert into uf_acct values (1, 'ann', 100), (2, 'bob', 50), (3, 'cy', 0);
insert into uf_tx values (1, 10), (2, -20), (9, 5);
update uf_acct a set bal = a.bal + t.amount from uf_tx t where t.acct = a.id;
select * from uf_acct order by id;
update uf_acct set owner = t.amount::text from uf_tx t where t.acct = uf_acct.id and t.amount > 0 returning uf_acct.id, owner;
update uf_acct set bal = 0 from uf_tx where uf_tx.acct = 42;
delete from uf_acct a using uf_tx t where t.acct = a.id and t.amount < 0 returning a.id;
select * from uf_acct order by id;
update uf_acct set bal = bal + 1 where id in (select acct from uf_tx);
select * from uf_acct order by id;
drop table uf_acct;
drop table uf_tx;
