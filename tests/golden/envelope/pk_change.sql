-- Update that changes the primary key (REPLICA IDENTITY DEFAULT: pgoutput sends the old key tuple).
-- Emitted as: "d" under the old key (header __debezium.newkey), tombstone, "c" under the new key
-- (header __debezium.oldkey).
CREATE TABLE public.customers (id int4 PRIMARY KEY, email text NOT NULL, note text);
INSERT INTO public.customers VALUES (1004, 'anne@example.com', 'hello');
UPDATE public.customers SET id = 2004, email = 'anne2@example.com' WHERE id = 1004;
