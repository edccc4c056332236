package org.postern.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postern.testkit.FreePorts;

/**
 * Mail found in the spool at start is delivered at once, not deferred: the queue hands it to
 * outbound only once every role of the node listens. With a retry delay of an hour, a recovered
 * message deferred with "No handlers for address" would not arrive during the test.
 */
class RecoveredDeliveryIT {

  @TempDir
  Path work;

  private List<String> sets(int port, int nextHop) {
    return List.of(
        "inbound.listeners=127.0.0.1:" + port + " none",
        "outbound.transport=*=[127.0.0.1]:" + nextHop,
        "node.hostname=mx.postern.test",
        "node.data_dir=" + work.resolve("data"),
        "node.admin_listen=127.0.0.1:" + FreePorts.loopback(),
        "queue.spool_dir=" + work.resolve("data/spool"),
        "queue.min_backoff=1h");
  }

  @Test
  void recoveredMailIsDeliveredWhenTheNodeStarts() throws Exception {
    int port = FreePorts.loopback();
    Set<String> ids = Set.of("r1@postern.test", "r2@postern.test", "r3@postern.test");
    // First life: the next hop is down, so the mail stays queued for an hour.
    try (NodeProcess first = NodeProcess.start(work, sets(port, FreePorts.loopback()))) {
      first.awaitLog("node started", Duration.ofSeconds(60));
      for (String id : ids) {
        assertEquals("250", GracefulStopIT.Session.open(port).send(id));
      }
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (first.log().split("status=deferred", -1).length - 1 < ids.size() && System.nanoTime() < until) {
        TimeUnit.MILLISECONDS.sleep(20);
      }
      assertEquals(ids.size(), first.log().split("status=deferred", -1).length - 1, first.log());
      first.kill();
    }
    // Second life: the next hop is up, and the mail goes at once.
    try (GatedSink sink = new GatedSink(true);
        NodeProcess second = NodeProcess.start(work, sets(port, sink.port()))) {
      String recovered = second.awaitLog("recovered 3 queued message", Duration.ofSeconds(60));
      assertTrue(java.util.regex.Pattern.compile("\\(\\d+ segment\\(s\\), \\d+ batch file\\(s\\), \\d+ single message file\\(s\\): "
          + "[0-9A-F]+\\.(msg|batch|seg): \\d").matcher(recovered).find(), "the recovery names the files it read: " + recovered);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (!sink.delivered.keySet().containsAll(ids) && System.nanoTime() < deadline) {
        TimeUnit.MILLISECONDS.sleep(20);
      }
      assertEquals(ids, sink.delivered.keySet(), "recovered mail delivered at start; log:\n" + second.log());
      assertTrue(!second.log().contains("No handlers"), second.log());
    }
  }
}
