package org.postern.outbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.postern.bus.Contracts;
import org.postern.bus.DeliveryReport.RecipientResult;
import org.postern.bus.DeliveryReport.Status;
import org.postern.bus.DeliveryReport;
import org.postern.bus.DeliveryRequest;
import org.postern.smtp.TlsLevel;
import org.postern.testkit.FreePorts;
import org.postern.testkit.LoopbackCluster;

/**
 * Two outbound nodes in one cluster (two clustered Vert.x instances, Hazelcast on loopback): a
 * peer whose TLS handshake broke for node 1 gets plaintext from node 2 at once, without a
 * STARTTLS, as the peer itself sees.
 */
class SharedBrokenTlsTest {

  private static final String MX = "mx.shared.test";

  private final List<Vertx> nodes = new ArrayList<>();
  private final List<Harness> harnesses = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    harnesses.forEach(Harness::close);
    for (Vertx v : nodes) {
      v.close().await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void aPeerThatBrokeTlsForOneNodeGetsPlaintextFromTheOtherAtOnce() throws Exception {
    int[] ports = {FreePorts.loopback(), FreePorts.loopback()};
    String cluster = "postern-test-" + UUID.randomUUID();
    Vertx one = join(cluster, ports[0], ports);
    Vertx two = join(cluster, ports[1], ports);
    int smtp = FreePorts.loopback();
    ScriptedSmtpServer server = ScriptedSmtpServer.start(one, "127.0.0.1", smtp,
        ScriptedSmtpServer.Script.standard().withBrokenTls()).await(10, TimeUnit.SECONDS);
    String[] settings = {"outbound.transport=*=[" + MX + "]:" + smtp, "outbound.connection_reuse_limit=1"};

    // Node 1 learns: the handshake breaks, the message goes in plaintext on a second connection.
    Harness first = harness(one).deploy(v -> new FixedDns(Map.of(MX, "127.0.0.1")), settings);
    RecipientResult learned = first.deliverOne("example.net");
    assertEquals(Status.SENT, learned.status(), learned.toString());
    assertEquals(2, server.connections());
    assertTrue(first.logged("broken TLS peers are remembered cluster-wide"), first.logText());
    // Only node 2 delivers from now on.
    first.undeploy();

    Harness second = harness(two).deploy(v -> new FixedDns(Map.of(MX, "127.0.0.1")), settings);
    RecipientResult r = second.deliverOne("example.net");
    assertEquals(Status.SENT, r.status(), r.toString());
    assertEquals(3, server.connections(), "one connection, no broken handshake first");
    assertEquals(1, server.commands().stream().filter(c -> c.equals("STARTTLS")).count(), server.commands().toString());
    assertTrue(second.logged("failed a TLS handshake recently (seen by another node of the cluster); plaintext at"
        + " level may without trying STARTTLS"), second.logText());
    assertFalse(second.logged("retrying in plaintext"), second.logText());

    // A delivery request carries a whole body, so outbound takes it from its own node only: node 1,
    // which has no outbound now, cannot reach node 2's, though both are in the cluster.
    Throwable refused = assertThrows(Exception.class, () -> Contracts.request(one, DeliveryRequest.ADDRESS,
        Harness.request("Subject: x\r\n\r\nx\r\n", "ok@example.net"), Duration.ofSeconds(5), DeliveryReport.class)
        .await(10, TimeUnit.SECONDS));
    ReplyException re = (ReplyException) (refused instanceof ReplyException ? refused : refused.getCause());
    assertEquals(ReplyFailure.NO_HANDLERS, re.failureType());
  }

  private Harness harness(Vertx vertx) throws Exception {
    Harness h = new Harness(vertx, TlsLevel.MAY);
    harnesses.add(h);
    return h;
  }

  /** A clustered Vert.x on loopback, closed after the test. */
  private Vertx join(String cluster, int port, int[] members) throws Exception {
    Vertx vertx = LoopbackCluster.join(cluster, port, members);
    nodes.add(vertx);
    return vertx;
  }

}
