-- Update with REPLICA IDENTITY FULL: the old row is sent, before holds every column.
CREATE TABLE public.customers (id int4 PRIMARY KEY, email text NOT NULL, note text);
ALTER TABLE public.customers REPLICA IDENTITY FULL;
INSERT INTO public.customers VALUES (1004, 'anne@example.com', 'hello');
UPDATE public.customers SET email = 'anne2@example.com', note = NULL WHERE id = 1004;
