-- numeric(p,s) -> org.apache.kafka.connect.data.Decimal; numeric -> io.debezium.data.VariableScaleDecimal.
CREATE TABLE public.decimals (
  id int4 PRIMARY KEY,
  price numeric(10,2),
  huge numeric(38,0),
  fraction numeric(5,5),
  whole numeric(4),
  anynum numeric
);
INSERT INTO public.decimals VALUES
  (1, 123.45, 99999999999999999999999999999999999999, 0.12345, 127, 1.500),
  (2, -1.00, -99999999999999999999999999999999999999, -0.00001, -128, -123456789012345678901234567890.123456789),
  (3, 0, 0, 0, 0, 0.000),
  (4, 0.01, 128, 0.00001, 255, 1000),
  (5, NULL, NULL, NULL, NULL, NULL);
