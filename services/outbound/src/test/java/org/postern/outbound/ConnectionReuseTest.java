package org.postern.outbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.postern.bus.Contracts;
import org.postern.bus.DeliveryReport;
import org.postern.bus.DeliveryReport.Status;
import org.postern.bus.DeliveryRequest;
import org.postern.smtp.TlsLevel;
import org.postern.testkit.FreePorts;

/**
 * Several messages over one connection, and the limits on connections, against a scripted server
 * that counts the connections it accepts and how many were open at once.
 */
@ExtendWith(VertxExtension.class)
class ConnectionReuseTest {

  private Harness harness;

  @BeforeEach
  void setUp(Vertx vertx) throws Exception {
    harness = new Harness(vertx, TlsLevel.MAY);
  }

  @AfterEach
  void tearDown() {
    harness.close();
  }

  @Test
  void sendsSeveralMessagesOverOneConnectionWithRsetBetween(Vertx vertx) throws Exception {
    ScriptedSmtpServer server = start(vertx, "outbound.connection_idle_timeout=30s");
    for (int i = 0; i < 3; i++) {
      assertEquals(Status.SENT, harness.deliverOne("example.net").status());
    }

    assertEquals(1, server.connections());
    assertEquals(3, server.messages().size());
    assertEquals(1, server.commands().stream().filter(c -> c.equals("STARTTLS")).count());
    assertEquals(2, server.commands().stream().filter(c -> c.equals("RSET")).count(), server.commands().toString());
    assertTrue(harness.logged(", conn_use=3, "), harness.logText());
  }

  @Test
  void opensANewConnectionAfterTheReuseLimit(Vertx vertx) throws Exception {
    ScriptedSmtpServer server = start(vertx, "outbound.connection_reuse_limit=2",
        "outbound.connection_idle_timeout=30s");
    for (int i = 0; i < 3; i++) {
      assertEquals(Status.SENT, harness.deliverOne("example.net").status());
    }

    assertEquals(2, server.connections());
    assertTrue(server.commands().contains("QUIT"), server.commands().toString());
  }

  @Test
  void closesAnIdleConnectionAfterTheIdleTimeout(Vertx vertx) throws Exception {
    ScriptedSmtpServer server = start(vertx, "outbound.connection_idle_timeout=1s");
    assertEquals(Status.SENT, harness.deliverOne("example.net").status());

    // Waits for an event (the QUIT), not a duration: the deadline only bounds a failure.
    long deadline = System.nanoTime() + Harness.WAIT.toNanos();
    while (!server.commands().contains("QUIT") && System.nanoTime() < deadline) {
      vertx.timer(20).await();
    }
    assertTrue(server.commands().contains("QUIT"), server.commands().toString());
    assertEquals(Status.SENT, harness.deliverOne("example.net").status());
    assertEquals(2, server.connections());
  }

  @Test
  void keepsToTheGlobalConnectionLimit(Vertx vertx) throws Exception {
    ScriptedSmtpServer server = start(vertx, "outbound.max_connections=1", "outbound.connection_reuse_limit=1");
    List<DeliveryReport> reports = deliverAtOnce(vertx, 4, i -> "d" + i + ".example.net");

    assertTrue(reports.stream().allMatch(r -> r.results().get(0).status() == Status.SENT), reports.toString());
    assertEquals(4, server.connections());
    assertEquals(1, server.maxOpen());
  }

  @Test
  void keepsToTheDestinationConcurrency(Vertx vertx) throws Exception {
    ScriptedSmtpServer server = start(vertx, "outbound.destination_concurrency=2",
        "outbound.connection_reuse_limit=1");
    List<DeliveryReport> reports = deliverAtOnce(vertx, 6, i -> "example.net");

    assertTrue(reports.stream().allMatch(r -> r.results().get(0).status() == Status.SENT), reports.toString());
    assertEquals(6, server.connections());
    assertTrue(server.maxTransactions() <= 2, "under way at once: " + server.maxTransactions());
  }

  @Test
  void spacesDeliveriesToOneDestinationByTheRateDelay(Vertx vertx) throws Exception {
    ScriptedSmtpServer server = start(vertx, "outbound.destination_rate_delay=1s",
        "outbound.connection_reuse_limit=1");
    deliverAtOnce(vertx, 3, i -> "example.net");

    List<Long> times = server.connectTimes();
    assertEquals(3, times.size());
    for (int i = 1; i < times.size(); i++) {
      long gap = Duration.ofNanos(times.get(i) - times.get(i - 1)).toMillis();
      // A lower bound only: the delay spaces the deliveries' starts, and what each does before
      // connecting (policy questions, routing) takes a few ms more or less on a busy machine.
      // Without the delay the connections come within milliseconds of each other.
      assertTrue(gap >= 800, "connections " + (i - 1) + " and " + i + " only " + gap + " ms apart");
    }
    assertEquals(1, server.maxTransactions());
  }

  private List<DeliveryReport> deliverAtOnce(Vertx vertx, int n, java.util.function.IntFunction<String> domain)
      throws Exception {
    List<Future<DeliveryReport>> pending = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      DeliveryRequest request = Harness.request("x\r\n", "ok@" + domain.apply(i));
      pending.add(Contracts.request(vertx, DeliveryRequest.ADDRESS, request, Harness.WAIT, DeliveryReport.class));
    }
    Future.all(pending).await(Harness.WAIT.toSeconds() + 5, TimeUnit.SECONDS);
    return pending.stream().map(Future::result).toList();
  }

  private ScriptedSmtpServer start(Vertx vertx, String... settings) throws Exception {
    int port = FreePorts.loopback();
    ScriptedSmtpServer server = ScriptedSmtpServer.start(vertx, "127.0.0.1", port,
        ScriptedSmtpServer.Script.standard()).await(10, TimeUnit.SECONDS);
    List<String> all = new ArrayList<>(List.of("outbound.transport=*=[127.0.0.1]:" + port));
    all.addAll(List.of(settings));
    harness.deploy(all.toArray(String[]::new));
    return server;
  }
}
