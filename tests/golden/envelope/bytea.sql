-- bytea: the hex text form becomes standard base64.
CREATE TABLE public.blobs (id int4 PRIMARY KEY, data bytea);
INSERT INTO public.blobs VALUES
  (1, '\xdeadbeef'),
  (2, ''),
  (3, '\x00ff10'),
  (4, NULL);
