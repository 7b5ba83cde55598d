-- uuid, json, jsonb, xml and enum columns: strings with Debezium logical names.
CREATE TYPE public.mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE public.text_like (
  id int4 PRIMARY KEY,
  ident uuid,
  doc json,
  docb jsonb,
  markup xml,
  feeling public.mood
);
INSERT INTO public.text_like VALUES
  (1, 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '{"b": 1,  "a": [true, null]}', '{"b": 1,  "a": [true, null]}',
      '<a href="x">t&amp;t</a>', 'happy'),
  (2, NULL, NULL, NULL, NULL, NULL);
