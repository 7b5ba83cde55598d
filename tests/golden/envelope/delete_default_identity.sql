-- Delete with REPLICA IDENTITY DEFAULT: the old key tuple only; before has the key, other columns null.
-- Followed by a tombstone (tombstones_on_delete: true).
CREATE TABLE public.customers (id int4 PRIMARY KEY, email text NOT NULL, note text);
INSERT INTO public.customers VALUES (1004, 'anne@example.com', 'hello');
DELETE FROM public.customers WHERE id = 1004;
