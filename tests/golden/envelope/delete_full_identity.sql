-- Delete with REPLICA IDENTITY FULL: before holds the whole old row; then a tombstone.
CREATE TABLE public.customers (id int4 PRIMARY KEY, email text NOT NULL, note text);
ALTER TABLE public.customers REPLICA IDENTITY FULL;
INSERT INTO public.customers VALUES (1004, 'anne@example.com', 'hello');
DELETE FROM public.customers WHERE id = 1004;
