-- Character types and inet: unicode, JSON escapes, char padding, empty strings, NULLs.
CREATE EXTENSION IF NOT EXISTS citext;
CREATE TABLE public.strings (
  id int4 PRIMARY KEY,
  body text,
  name varchar(20),
  code char(5),
  tag citext,
  addr inet
);
INSERT INTO public.strings VALUES
  (1, 'héllo wörld ✓ 😀', 'plain', 'ab', 'MiXeD', '192.168.0.1/24'),
  (2, E'quote " backslash \\ newline \n tab \t bell \x07', '', '', '', '::1'),
  (3, NULL, NULL, NULL, NULL, NULL);
