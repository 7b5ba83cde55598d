-- Integer, boolean and floating-point columns: extremes, special floats, NULLs.
CREATE TABLE public.numeric_types (
  id int4 PRIMARY KEY,
  small int2,
  regular int4,
  big int8,
  flag bool,
  single real,
  dbl double precision
);
INSERT INTO public.numeric_types VALUES
  (1, 32767, 2147483647, 9223372036854775807, true, 3.4028235e38, 1.7976931348623157e308),
  (2, -32768, -2147483648, -9223372036854775808, false, 1.1, -0.1),
  (3, 0, 0, 0, NULL, 1.4e-45, 1e-300),
  (4, NULL, NULL, NULL, NULL, 'NaN', 'Infinity'),
  (5, 1, -1, 1, true, '-Infinity', 100);
