-- Update that leaves large out-of-line (TOASTed) values untouched, REPLICA IDENTITY DEFAULT:
-- pgoutput marks them unchanged ('u'); Debezium writes __debezium_unavailable_value (strings),
-- its bytes (bytea), ["__debezium_unavailable_value"] (text[]) and the placeholder's bytes as
-- numbers (int4[], int8[]).
CREATE TABLE public.documents (
  id int4 PRIMARY KEY,
  revision int4 NOT NULL,
  body text,
  raw bytea,
  tags text[],
  scores int4[],
  counters int8[],
  meta jsonb
);
ALTER TABLE public.documents
  ALTER COLUMN body SET STORAGE EXTERNAL, ALTER COLUMN raw SET STORAGE EXTERNAL,
  ALTER COLUMN tags SET STORAGE EXTERNAL, ALTER COLUMN scores SET STORAGE EXTERNAL,
  ALTER COLUMN counters SET STORAGE EXTERNAL, ALTER COLUMN meta SET STORAGE EXTERNAL;
INSERT INTO public.documents
SELECT 1, 1, repeat('x', 5000), convert_to(repeat('y', 5000), 'UTF8'),
       array_fill('tag'::text, ARRAY[2000]), array_fill(7, ARRAY[2000]), array_fill(7::int8, ARRAY[2000]),
       jsonb_build_object('pad', repeat('z', 5000));
UPDATE public.documents SET revision = 2 WHERE id = 1;
