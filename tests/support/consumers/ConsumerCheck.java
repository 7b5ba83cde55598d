// Reads JSON lines from stdin: {"topic", "key", "value", "schemas", "row_type"} and writes one
// JSON line per input: what Kafka Connect's JsonConverter (toConnectData of key and value) and
// Flink's debezium-json format (DebeziumJsonDeserializationSchema, on the value) made of it.
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.formats.common.TimestampFormat;
import org.apache.flink.formats.json.debezium.DebeziumJsonDeserializationSchema;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.types.DataType;
import org.apache.flink.table.types.logical.utils.LogicalTypeParser;
import org.apache.flink.table.types.utils.TypeConversions;
import org.apache.flink.util.Collector;
import org.apache.kafka.connect.json.JsonConverter;

public final class ConsumerCheck {
  private static String message(Throwable t) {
    StringBuilder b = new StringBuilder(t.getClass().getName() + ": " + t.getMessage());
    for (Throwable c = t.getCause(); c != null && c != c.getCause(); c = c.getCause())
      b.append(" / caused by ").append(c.getClass().getName()).append(": ").append(c.getMessage());
    return b.toString();
  }

  private static ObjectNode connect(ObjectMapper m, JsonConverter conv, String topic, JsonNode text) {
    ObjectNode r = m.createObjectNode();
    try {
      byte[] bytes = text == null || text.isNull() ? null : text.asText().getBytes(StandardCharsets.UTF_8);
      Object v = conv.toConnectData(topic, bytes).value();
      r.put("ok", true);
      r.put("value", String.valueOf(v));
    } catch (Throwable t) {
      r.put("ok", false);
      r.put("error", message(t));
    }
    return r;
  }

  private static ObjectNode flink(ObjectMapper m, String rowType, boolean schemas, JsonNode value) {
    ObjectNode r = m.createObjectNode();
    try {
      if (value == null || value.isNull()) {
        r.put("ok", true);
        r.putArray("kinds");
        r.putArray("rows");
        return r;
      }
      DataType type = TypeConversions.fromLogicalToDataType(
          LogicalTypeParser.parse(rowType, ConsumerCheck.class.getClassLoader()));
      DebeziumJsonDeserializationSchema s = new DebeziumJsonDeserializationSchema(
          type, Collections.emptyList(), TypeInformation.of(RowData.class), schemas, false,
          TimestampFormat.ISO_8601);
      s.open(null);
      List<RowData> out = new ArrayList<>();
      s.deserialize(value.asText().getBytes(StandardCharsets.UTF_8), new Collector<RowData>() {
        public void collect(RowData row) { out.add(row); }
        public void close() {}
      });
      r.put("ok", true);
      ArrayNode kinds = r.putArray("kinds");
      ArrayNode rows = r.putArray("rows");
      for (RowData row : out) {
        kinds.add(row.getRowKind().shortString());
        rows.add(row.toString());
      }
    } catch (Throwable t) {
      r.put("ok", false);
      r.put("error", message(t));
    }
    return r;
  }

  public static void main(String[] args) throws Exception {
    ObjectMapper m = new ObjectMapper();
    JsonConverter[][] convs = new JsonConverter[2][2];  // [schemas][isKey]
    for (int s = 0; s < 2; ++s)
      for (int k = 0; k < 2; ++k) {
        convs[s][k] = new JsonConverter();
        convs[s][k].configure(Map.of("schemas.enable", s == 1 ? "true" : "false"), k == 1);
      }
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line; (line = in.readLine()) != null;) {
      if (line.isBlank()) continue;
      JsonNode rec = m.readTree(line);
      String topic = rec.path("topic").asText("");
      int s = rec.path("schemas").asBoolean(true) ? 1 : 0;
      ObjectNode o = m.createObjectNode();
      o.put("topic", topic);
      o.set("key", connect(m, convs[s][1], topic, rec.get("key")));
      o.set("value", connect(m, convs[s][0], topic, rec.get("value")));
      JsonNode rowType = rec.get("row_type");
      if (rowType != null && !rowType.isNull())
        o.set("flink", flink(m, rowType.asText(), s == 1, rec.get("value")));
      System.out.println(m.writeValueAsString(o));
    }
  }
}
