package org.postern.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postern.testkit.FreePorts;

/**
 * A real node told to stop (SIGTERM) while a delivery is held at a real next hop: from the moment
 * the stop begins, /health/ready says 503 "stopping" (a load balancer takes the node out) while
 * /health/live stays 200 and the node finishes the delivery; then it exits 0.
 */
class ReadinessStopIT {

  @TempDir
  Path work;

  @Test
  void readyTurns503WhenAStopBeginsWhileLiveStays200() throws Exception {
    try (GatedSink sink = new GatedSink(false)) {
      int smtp = FreePorts.loopback();
      int metrics = FreePorts.loopback();
      try (NodeProcess node = NodeProcess.start(work, List.of(
          "inbound.listeners=127.0.0.1:" + smtp + " none",
          "outbound.transport=*=[127.0.0.1]:" + sink.port(),
          "node.hostname=mx.postern.test",
          "node.data_dir=" + work.resolve("data"),
          "node.admin_listen=",
          "node.metrics_listen=127.0.0.1:" + metrics,
          "queue.spool_dir=" + work.resolve("data/spool")))) {
        node.awaitLog("node started", Duration.ofSeconds(60));
        assertEquals(200, MetricsIT.get(metrics, "/health/ready", null).statusCode());
        byte[] msg = "Message-ID: <held@postern.test>\r\nSubject: held\r\n\r\nhello\r\n".getBytes(StandardCharsets.US_ASCII);
        Clients.Result sent = Clients.smtplib(work, smtp, "a@example.org", "b@example.net", msg, false);
        assertTrue(sent.output().contains("DATA 250"), sent.output());
        assertTrue(sink.awaitWaiting(1, 30), "the delivery waits for the next hop's 250");

        node.signal("TERM");
        // The drain waits for the held delivery (node.shutdown_timeout, 30 s): the listener answers meanwhile.
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        HttpResponse<String> ready;
        while ((ready = MetricsIT.get(metrics, "/health/ready", null)).statusCode() == 200) {
          assertTrue(System.nanoTime() < deadline, "still ready 20 s after SIGTERM; log:\n" + node.log());
          Thread.onSpinWait();
        }
        assertEquals(503, ready.statusCode(), ready.body());
        assertEquals("stopping", new JsonObject(ready.body()).getString("reason"));
        assertEquals(200, MetricsIT.get(metrics, "/health/live", null).statusCode(), "alive while it drains");

        sink.open();
        assertEquals(0, node.awaitExit(Duration.ofSeconds(30)), "exit status after SIGTERM; log:\n" + node.log());
        assertEquals(1, sink.delivered.getOrDefault("held@postern.test", 0), "the held delivery finished");
      }
    }
  }
}
