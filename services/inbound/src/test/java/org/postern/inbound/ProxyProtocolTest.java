package org.postern.inbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postern.config.ConfigLoader;
import org.postern.config.InboundConfig;
import org.postern.config.Listener;

/**
 * A real HAProxy in TCP mode in front of a proxy=v2 (or v1) listener, real clients connecting to
 * it from other loopback addresses: policy (the access map's Connect: entries, the relay
 * networks), the Received header and the log see the client HAProxy saw, not HAProxy. A header
 * from outside inbound.proxy_networks, a malformed one and a missing one end the connection.
 */
class ProxyProtocolTest {

  @TempDir
  Path dir;

  private InboundFixture.Builder behindBalancer(String proxy) throws Exception {
    return behindBalancer(dir, proxy);
  }

  /** A node whose files are in {@code nodeDir}, with the access map all nodes share. */
  private InboundFixture.Builder behindBalancer(Path nodeDir, String proxy) throws Exception {
    Path access = dir.resolve("access");
    Files.writeString(access, "Connect:127.0.0.2 REJECT\n");
    return InboundFixture.in(nodeDir).set("inbound.listeners=127.0.0.1:0 may proxy=" + proxy,
        "inbound.proxy_networks=127.0.0.1/32", "policy.access_map=" + access,
        // Only the client at .3 may relay: HAProxy's own 127.0.0.1 must lend nobody its trust.
        "policy.trusted_networks=127.0.0.3/32");
  }

  @Test
  void sendProxyV2NamesTheRealClientToPolicyReceivedAndLog() throws Exception {
    try (InboundFixture f = behindBalancer("v2").start();
        Haproxy lb = Haproxy.inFrontOf(dir, f.port, "send-proxy-v2")) {
      try (SmtpClient rejected = new SmtpClient(lb.port, "127.0.0.2")) {
        rejected.expect("554 5.7.1 Access denied");
      }
      InteropTest.Result swaks = InteropTest.run(dir, "swaks", "--server", "127.0.0.1", "--port",
          String.valueOf(lb.port), "--local-interface", "127.0.0.3", "--ehlo", "client.test",
          "--from", "a@example.org", "--to", "b@example.net", "--header", "Subject: through haproxy");
      assertEquals(0, swaks.exit(), swaks.output());
      String body = f.onlySpooled().bodyText();
      assertTrue(body.startsWith("Received: from client.test (unknown [127.0.0.3])"), body);
      f.awaitLog("connect from 127.0.0.3 port ");
      f.awaitLog("via load balancer 127.0.0.1 (PROXY v2 TCP4)");
      f.awaitLog("client=unknown[127.0.0.3]");
      try (SmtpClient stranger = new SmtpClient(lb.port, "127.0.0.4")) {
        stranger.expect(220);
        stranger.command("EHLO stranger.test");
        stranger.command("MAIL FROM:<a@example.org>");
        assertEquals(554, stranger.command("RCPT TO:<b@example.net>").code(), "relay from 127.0.0.4");
      }
    }
  }

  /** The picture: one HAProxy, two nodes; each node's policy and Received see the client. */
  @Test
  void oneBalancerInFrontOfTwoNodes() throws Exception {
    try (InboundFixture a = behindBalancer("v2").start();
        InboundFixture b = behindBalancer(dir.resolve("b"), "v2").start();
        Haproxy lb = Haproxy.inFrontOf(dir, List.of(a.port, b.port), "send-proxy-v2", "")) {
      for (int i = 0; i < 2; i++) {
        try (SmtpClient rejected = new SmtpClient(lb.port, "127.0.0.2")) {
          rejected.expect("554 5.7.1 Access denied");
        }
      }
      for (int i = 0; i < 2; i++) {
        try (SmtpClient c = new SmtpClient(lb.port, "127.0.0.3")) {
          c.expect(220);
          c.command("EHLO client.test");
          c.command("MAIL FROM:<a@example.org>");
          assertEquals(250, c.command("RCPT TO:<b@example.net>").code(), "relay for 127.0.0.3");
          assertEquals(354, c.command("DATA").code());
          assertEquals(250, c.command("Subject: " + i + "\r\n\r\nhi\r\n.").code());
        }
      }
      for (InboundFixture node : List.of(a, b)) {
        String body = node.onlySpooled().bodyText();
        assertTrue(body.startsWith("Received: from client.test (unknown [127.0.0.3])"), body);
        node.awaitLog("reject: CONNECT from unknown[127.0.0.2]");
      }
    }
  }

  @Test
  void sendProxyV1() throws Exception {
    try (InboundFixture f = behindBalancer("v1").start();
        Haproxy lb = Haproxy.inFrontOf(dir, f.port, "send-proxy")) {
      try (SmtpClient rejected = new SmtpClient(lb.port, "127.0.0.2")) {
        rejected.expect("554 5.7.1 Access denied");
      }
      try (SmtpClient c = new SmtpClient(lb.port, "127.0.0.3")) {
        c.expect(220);
        c.command("EHLO client.test");
        c.command("MAIL FROM:<a@example.org>");
        assertEquals(250, c.command("RCPT TO:<b@example.net>").code());
      }
      f.awaitLog("via load balancer 127.0.0.1 (PROXY v1 TCP4)");
    }
  }

  @Test
  void aBalancerOutsideProxyNetworksIsDropped() throws Exception {
    try (InboundFixture f = behindBalancer("v2").set("inbound.proxy_networks=127.0.0.9/32").start();
        Haproxy lb = Haproxy.inFrontOf(dir, f.port, "send-proxy-v2");
        SmtpClient c = new SmtpClient(lb.port, "127.0.0.3")) {
      assertEquals("", c.readUntilClosed());
      f.awaitLog("reject: connect from 127.0.0.1 to listener 127.0.0.1:0 may proxy=v2: not a load balancer in"
          + " inbound.proxy_networks");
    }
  }

  @Test
  void aForgedHeaderFromAClientIsDropped() throws Exception {
    assertDropped(behindBalancer("v1"), "127.0.0.2", "PROXY TCP4 127.0.0.3 127.0.0.1 40000 25\r\n",
        "reject: connect from 127.0.0.2 to listener 127.0.0.1:0 may proxy=v1: not a load balancer");
  }

  @Test
  void smtpWithoutAHeaderIsDropped() throws Exception {
    assertDropped(behindBalancer("v2").set("inbound.proxy_networks=127.0.0.0/8"), "127.0.0.3", "EHLO client.test\r\n",
        "reject: connect from 127.0.0.3 to listener 127.0.0.1:0 may proxy=v2: no PROXY v2 header");
  }

  @Test
  void aHeaderThatNeverCompletesTimesOut() throws Exception {
    assertDropped(behindBalancer("v2").set("inbound.proxy_timeout=1s"), "127.0.0.1",
        new String(ProxyHeader.V2_SIGNATURE, 0, 8, StandardCharsets.ISO_8859_1),
        "no complete PROXY header in 1s (8 octets)");
  }

  /** A connection from {@code from} that sends {@code octets} is closed unanswered, and the log says why. */
  private void assertDropped(InboundFixture.Builder listener, String from, String octets, String log) throws Exception {
    try (InboundFixture f = listener.start(); SmtpClient c = new SmtpClient(f.port, from)) {
      c.send(octets.getBytes(StandardCharsets.ISO_8859_1));
      assertEquals("", c.readUntilClosed());
      f.awaitLog(log);
    }
  }

  @Test
  void haproxysHealthCheckIsALocalHeaderAndAnSmtpDialogue() throws Exception {
    try (InboundFixture f = behindBalancer("v2").start();
        Haproxy lb = Haproxy.inFrontOf(dir, List.of(f.port), "send-proxy-v2 check inter 1s",
            "  option smtpchk HELO lb.test")) {
      f.awaitLog("connect from 127.0.0.1 via load balancer 127.0.0.1 (PROXY v2 LOCAL)");
    }
  }

  /**
   * deploy/k8s: the nodes' listener takes PROXY v2 from the pod network only, and HAProxy's
   * configuration, which sends it, passes the same HAProxy's check (pod names need no DNS for that).
   */
  @Test
  void theKubernetesManifestsPutHaproxyWithProxyV2InFront() throws Exception {
    Path conf = dir.resolve("postern.conf");
    Files.writeString(conf, block(Path.of("../../deploy/k8s/configmap.yaml"), "postern.conf"));
    InboundConfig nodes = ConfigLoader.load(conf, List.of()).inbound();
    assertEquals(Listener.Proxy.V2, nodes.listeners().get(0).proxy());
    assertTrue(nodes.trustsProxyHeaderFrom("10.244.3.7"));
    assertFalse(nodes.trustsProxyHeaderFrom("192.0.2.1"));
    String cfg = block(Path.of("../../deploy/k8s/haproxy.yaml"), "haproxy.cfg");
    assertTrue(cfg.contains("send-proxy-v2"), cfg);
    Path file = dir.resolve("k8s-haproxy.cfg");
    Files.writeString(file, cfg);
    InteropTest.Result check = InteropTest.run(dir, Haproxy.BINARY, "-c", "-f", file.toString());
    assertEquals(0, check.exit(), check.output());
  }

  /** The literal block {@code key: |} of a manifest, its indentation removed. */
  private static String block(Path manifest, String key) throws Exception {
    StringBuilder out = new StringBuilder();
    boolean in = false;
    for (String line : Files.readAllLines(manifest)) {
      if (line.strip().equals(key + ": |")) {
        in = true;
      } else if (in && (line.startsWith("    ") || line.isBlank())) {
        out.append(line.length() >= 4 ? line.substring(4) : "").append('\n');
      } else if (in) {
        break;
      }
    }
    assertFalse(out.isEmpty(), manifest + " has no " + key);
    return out.toString();
  }

  @Test
  void aLocalHeaderIsTheBalancersOwnSession() throws Exception {
    try (InboundFixture f = behindBalancer("v2").start(); SmtpClient c = new SmtpClient(f.port)) {
      ByteArrayOutputStream local = new ByteArrayOutputStream();
      local.writeBytes(ProxyHeader.V2_SIGNATURE);
      local.writeBytes(new byte[] {0x20, 0x00, 0x00, 0x00});
      c.send(local.toByteArray());
      c.expect(220);
      c.command("EHLO health.check");
      assertEquals(221, c.command("QUIT").code());
      f.awaitLog("connect from 127.0.0.1 via load balancer 127.0.0.1 (PROXY v2 LOCAL)");
    }
  }
}
