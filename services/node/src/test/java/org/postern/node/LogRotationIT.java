package org.postern.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postern.testkit.FreePorts;
import org.postern.testkit.SmtpSink;

/**
 * The log file under logrotate, with a real node: renamed and signalled (logrotate's {@code create}
 * with a postrotate {@code kill -USR1}), renamed without a signal (found by its inode), and
 * truncated in place ({@code copytruncate}); and {@code node.log_format = json}, one object per
 * line with the delivery line's fields as members.
 */
class LogRotationIT {

  @TempDir
  Path work;

  @Test
  void theLogFileFollowsLogrotateInEveryStyle() throws Exception {
    Path log = work.resolve("postern.log");
    int port = FreePorts.loopback();
    try (SmtpSink sink = SmtpSink.start(SmtpSink.Options.starttls(false));
        NodeProcess node = NodeProcess.start(work, List.of(
            "inbound.listeners=127.0.0.1:" + port + " may",
            "outbound.transport=*=[127.0.0.1]:" + sink.port(),
            "node.hostname=mx.postern.test",
            "node.log=" + log,
            "node.log_format=json",
            "node.data_dir=" + work.resolve("data"),
            "queue.spool_dir=" + work.resolve("data/spool")))) {
      PflogsummIT.awaitInFile(log, "node started");

      // JSON: every line an object; a delivery line's fields as members.
      send(port, "first@example.net");
      PflogsummIT.awaitInFile(log, "status=sent");
      JsonObject delivered = null;
      for (String line : Files.readAllLines(log)) {
        JsonObject o = new JsonObject(line); // throws on a line that is not one object
        assertEquals("mx.postern.test", o.getString("host"), line);
        assertTrue(o.getString("program").startsWith("postern/"), line);
        if (o.getString("message").contains("status=sent")) {
          delivered = o;
        }
      }
      assertTrue(delivered != null);
      assertEquals("postern/smtp", delivered.getString("program"));
      assertEquals("info", delivered.getString("level"));
      assertTrue(delivered.getString("id").matches("[0-9A-F]{16}"), delivered.encode());
      JsonObject fields = delivered.getJsonObject("fields");
      assertEquals("<first@example.net>", fields.getString("to"), delivered.encode());
      assertEquals("2.0.0", fields.getString("dsn"));
      assertTrue(fields.getString("status").startsWith("sent (250 "), delivered.encode());
      assertTrue(fields.getString("delays").matches("[0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+"), delivered.encode());

      // create + SIGUSR1: the next lines go to a new file at the path.
      Path rotated = work.resolve("postern.log.1");
      Files.move(log, rotated);
      node.signal("USR1");
      send(port, "second@example.net");
      PflogsummIT.awaitInFile(log, "<second@example.net>");
      assertTrue(Files.readString(log).contains("SIGUSR1: reopening the log file"), Files.readString(log));
      assertFalse(Files.readString(rotated).contains("second@example.net"), Files.readString(rotated));

      // create without a signal: found moved by its inode.
      Path rotated2 = work.resolve("postern.log.2");
      Files.move(log, rotated2);
      send(port, "third@example.net");
      PflogsummIT.awaitInFile(log, "<third@example.net>");

      // copytruncate: appends start again at offset 0, with no hole of zeros before them.
      try (FileChannel c = FileChannel.open(log, StandardOpenOption.WRITE)) {
        c.truncate(0);
      }
      send(port, "fourth@example.net");
      PflogsummIT.awaitInFile(log, "<fourth@example.net>");
      String after = Files.readString(log, StandardCharsets.UTF_8);
      assertTrue(after.startsWith("{"), after);
      assertFalse(after.contains("\u0000"), "zeros before the new lines");
      assertFalse(after.contains("third@example.net"), after);
    }
  }

  private static void send(int port, String to) throws Exception {
    Clients.Result r = Clients.swaks("--to", to, "--from", "a@example.org", "--server", "127.0.0.1:" + port,
        "--body", "rotation");
    assertEquals(0, r.exitCode(), r.output());
  }
}
