-- Settings inside transactions and savepoints: SET, SET LOCAL and RESET of
-- built-in settings and of custom (x.y) settings, undone by ROLLBACK TO
-- SAVEPOINT, kept by RELEASE, and what COMMIT / ROLLBACK leave.
set pgkv_t.a = 'base';
set extra_float_digits = 3;
-- SET after a savepoint is undone by ROLLBACK TO (both kinds)
begin;
savepoint s1;
set pgkv_t.a = 'in s1';
set extra_float_digits = 2;
show pgkv_t.a;
show extra_float_digits;
rollback to savepoint s1;
show pgkv_t.a;
show extra_float_digits;
commit;
show pgkv_t.a;
show extra_float_digits;
-- SET before the savepoint stays, the later one goes
begin;
set pgkv_t.a = 'before';
set extra_float_digits = 1;
savepoint s1;
set pgkv_t.a = 'after';
set extra_float_digits = 0;
rollback to savepoint s1;
show pgkv_t.a;
show extra_float_digits;
-- the savepoint is still there: again
set pgkv_t.a = 'after again';
rollback to s1;
show pgkv_t.a;
commit;
show pgkv_t.a;
show extra_float_digits;
-- a custom setting first created after the savepoint
begin;
savepoint s1;
set pgkv_t.fresh = 'new';
show pgkv_t.fresh;
rollback to savepoint s1;
show pgkv_t.fresh;
commit;
show pgkv_t.fresh;
select current_setting('pgkv_t.fresh', true);
-- RELEASE keeps what was set in the savepoint; an outer ROLLBACK TO undoes it
begin;
savepoint outer_sp;
savepoint inner_sp;
set pgkv_t.a = 'released';
set extra_float_digits = -1;
release savepoint inner_sp;
show pgkv_t.a;
show extra_float_digits;
rollback to savepoint outer_sp;
show pgkv_t.a;
show extra_float_digits;
savepoint inner_sp;
set pgkv_t.a = 'released and committed';
release inner_sp;
commit;
show pgkv_t.a;
-- nested savepoints: ROLLBACK TO the inner one only
begin;
set pgkv_t.a = 'level 0';
savepoint a;
set pgkv_t.a = 'level 1';
savepoint b;
set pgkv_t.a = 'level 2';
set extra_float_digits = 2;
rollback to savepoint b;
show pgkv_t.a;
show extra_float_digits;
rollback to savepoint a;
show pgkv_t.a;
commit;
show pgkv_t.a;
-- SET LOCAL: undone by ROLLBACK TO; kept until the end of the transaction
-- by RELEASE
set pgkv_t.a = 'session';
set extra_float_digits = 3;
begin;
savepoint s;
set local pgkv_t.a = 'local in s';
set local extra_float_digits = 0;
show pgkv_t.a;
rollback to savepoint s;
show pgkv_t.a;
show extra_float_digits;
set local pgkv_t.a = 'local released';
set local extra_float_digits = 1;
release savepoint s;
show pgkv_t.a;
show extra_float_digits;
commit;
show pgkv_t.a;
show extra_float_digits;
-- SET LOCAL before the savepoint, SET inside it rolled back: the SET LOCAL
-- still ends with the transaction
begin;
set local pgkv_t.a = 'local outer';
set local extra_float_digits = 1;
savepoint s;
set pgkv_t.a = 'plain inner';
set extra_float_digits = 2;
rollback to savepoint s;
show pgkv_t.a;
show extra_float_digits;
commit;
show pgkv_t.a;
show extra_float_digits;
-- SET LOCAL then SET inside a released savepoint: the SET stays
begin;
set local pgkv_t.a = 'local';
savepoint s;
set pgkv_t.a = 'plain after local';
release savepoint s;
commit;
show pgkv_t.a;
-- RESET after a savepoint is undone too
begin;
savepoint s;
reset pgkv_t.a;
reset extra_float_digits;
show pgkv_t.a;
show extra_float_digits;
rollback to savepoint s;
show pgkv_t.a;
show extra_float_digits;
commit;
-- a savepoint rolled back after an error restores settings as well
begin;
savepoint s;
set pgkv_t.a = 'before error';
select 1 / 0;
show pgkv_t.a;
rollback to savepoint s;
show pgkv_t.a;
commit;
-- ROLLBACK of the whole transaction undoes everything
begin;
set pgkv_t.a = 'gone';
savepoint s;
set pgkv_t.b = 'gone too';
release s;
rollback;
show pgkv_t.a;
show pgkv_t.b;
reset pgkv_t.a;
reset extra_float_digits;
