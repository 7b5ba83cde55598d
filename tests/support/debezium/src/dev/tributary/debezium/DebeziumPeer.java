package dev.tributary.debezium;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import java.io.FileInputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.apache.kafka.connect.header.Header;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.storage.SimpleHeaderConverter;

/**
 * Debezium's embedded engine as a test peer: runs one connector with the properties in the file
 * named by the only argument and prints every SourceRecord to stdout as one JSON line, written by
 * the converters a Kafka Connect worker would use (JsonConverter with its defaults, once with
 * schemas.enable=true and once with false; SimpleHeaderConverter for headers). The converters'
 * bytes are copied into the line unchanged, so numbers and base64 are exactly Debezium's.
 *
 * stderr: Debezium's log (slf4j-simple) and the peer's own lines, each starting "debezium-peer:":
 * "debezium-peer: streaming" once the connector's streaming metrics say Connected, and
 * "debezium-peer: stopped ..." when the engine ends. The process ends on SIGTERM or when stdin
 * closes; exit code 0 when the engine stopped cleanly.
 */
public final class DebeziumPeer {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final JsonConverter keyWithSchemas = converter(true, true);
  private final JsonConverter valueWithSchemas = converter(false, true);
  private final JsonConverter keyPlain = converter(true, false);
  private final JsonConverter valuePlain = converter(false, false);
  private final SimpleHeaderConverter headers = new SimpleHeaderConverter();
  private final PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false, StandardCharsets.UTF_8);

  private static JsonConverter converter(boolean isKey, boolean schemas) {
    JsonConverter converter = new JsonConverter();
    converter.configure(Map.of("schemas.enable", Boolean.toString(schemas)), isKey);
    return converter;
  }

  private static String text(byte[] bytes) {
    return bytes == null ? "null" : new String(bytes, StandardCharsets.UTF_8);
  }

  private synchronized void print(SourceRecord record) {
    try {
      String topic = record.topic();
      StringBuilder line = new StringBuilder(512);
      line.append("{\"topic\": ").append(JSON.writeValueAsString(topic));
      line.append(", \"key_schemas\": ").append(text(keyWithSchemas.fromConnectData(topic, record.keySchema(), record.key())));
      line.append(", \"value_schemas\": ").append(text(valueWithSchemas.fromConnectData(topic, record.valueSchema(), record.value())));
      line.append(", \"key\": ").append(text(keyPlain.fromConnectData(topic, record.keySchema(), record.key())));
      line.append(", \"value\": ").append(text(valuePlain.fromConnectData(topic, record.valueSchema(), record.value())));
      line.append(", \"headers\": [");
      boolean first = true;
      for (Header header : record.headers()) {
        byte[] bytes = headers.fromConnectHeader(topic, header.key(), header.schema(), header.value());
        line.append(first ? "" : ", ").append("{\"key\": ").append(JSON.writeValueAsString(header.key()));
        line.append(", \"value\": ").append(JSON.writeValueAsString(bytes == null ? null : new String(bytes, StandardCharsets.UTF_8)));
        line.append('}');
        first = false;
      }
      line.append("]}");
      out.println(line);
      out.flush();
    } catch (Exception e) {
      throw new RuntimeException("debezium-peer: cannot print a record of " + record.topic(), e);
    }
  }

  /** Polls the connector's streaming MBean (debezium.<connector>:type=connector-metrics,context=streaming,...). */
  private static void reportStreaming(AtomicBoolean done) {
    MBeanServer server = ManagementFactory.getPlatformMBeanServer();
    while (!done.get()) {
      try {
        for (ObjectName name : server.queryNames(new ObjectName("debezium.*:type=connector-metrics,context=streaming,*"), null)) {
          if (Boolean.TRUE.equals(server.getAttribute(name, "Connected"))) {
            System.err.println("debezium-peer: streaming " + name);
            System.err.flush();
            return;
          }
        }
        Thread.sleep(100);  // polling an MBean: the connector offers no callback for "streaming"
      } catch (InterruptedException e) {
        return;
      } catch (Exception e) {
        // the MBean is registered while we look: try again
      }
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      System.err.println("usage: DebeziumPeer <connector.properties>");
      System.exit(2);
    }
    Properties properties = new Properties();
    try (InputStream in = new FileInputStream(args[0])) {
      properties.load(in);
    }
    DebeziumPeer peer = new DebeziumPeer();
    System.setOut(System.err);  // stdout is the records' alone: anything else printed goes to stderr
    AtomicBoolean done = new AtomicBoolean(false);
    AtomicInteger exitCode = new AtomicInteger(0);
    CountDownLatch finished = new CountDownLatch(1);
    DebeziumEngine<RecordChangeEvent<SourceRecord>> engine =
        DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
            .using(properties)
            .notifying(event -> peer.print(event.record()))
            .using(new DebeziumEngine.ConnectorCallback() {
              @Override
              public void taskStarted() {
                System.err.println("debezium-peer: task started");
              }
            })
            .using((success, message, error) -> {
              System.err.println("debezium-peer: stopped success=" + success + " " + (message == null ? "" : message));
              if (error != null) error.printStackTrace(System.err);
              if (!success) exitCode.set(1);
              done.set(true);
              finished.countDown();
            })
            .build();

    Runnable close = () -> {
      try {
        engine.close();
      } catch (IllegalStateException alreadyStopped) {
        // the engine stopped on its own (an error, reported by the completion callback)
      } catch (Exception e) {
        e.printStackTrace(System.err);
      }
    };
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      close.run();
      try {
        finished.await(java.util.concurrent.TimeUnit.SECONDS.toMillis(30), java.util.concurrent.TimeUnit.MILLISECONDS);
      } catch (InterruptedException ignored) {
      }
      peer.out.flush();
    }, "debezium-peer-shutdown"));
    Thread stdin = new Thread(() -> {
      try {
        while (System.in.read() >= 0) {
        }
      } catch (Exception ignored) {
      }
      close.run();
    }, "debezium-peer-stdin");
    stdin.setDaemon(true);
    stdin.start();
    Thread streaming = new Thread(() -> reportStreaming(done), "debezium-peer-streaming");
    streaming.setDaemon(true);
    streaming.start();

    Thread runner = new Thread(engine, "debezium-peer-engine");
    runner.start();
    finished.await();
    runner.join(30_000);
    System.exit(exitCode.get());
  }
}
