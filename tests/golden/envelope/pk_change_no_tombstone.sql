-- Primary-key change with tombstones_on_delete: false and REPLICA IDENTITY FULL:
-- "d" (full before) under the old key, then "c" under the new key; no tombstone.
CREATE TABLE public.customers (id int4 PRIMARY KEY, email text NOT NULL, note text);
ALTER TABLE public.customers REPLICA IDENTITY FULL;
INSERT INTO public.customers VALUES (1004, 'anne@example.com', 'hello');
UPDATE public.customers SET id = 2004 WHERE id = 1004;
