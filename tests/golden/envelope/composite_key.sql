-- Composite primary key declared in a different order than the columns: the key follows key order.
CREATE TABLE public.line_items (
  tenant text NOT NULL,
  qty int2,
  item_id int8 NOT NULL,
  PRIMARY KEY (item_id, tenant)
);
INSERT INTO public.line_items VALUES ('acme', 3, 42);
