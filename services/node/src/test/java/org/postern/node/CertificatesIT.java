package org.postern.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postern.testkit.FreePorts;
import org.postern.testkit.SmtpSink;

/**
 * Client and server certificates as a migrating sendmail operator uses them, with files from
 * {@code postern pki} and real peers: the seeds' {@code TLS_Clt ... VERIFY:128} pasted as is works
 * because a listener asks for a certificate by default; a Postern server certificate is accepted
 * as a client certificate (the same certificate both ways); a rule that no listener lets match is
 * named at load; and tls.crl_file stops delivery to a revoked next hop (openssl s_client and
 * aiosmtpd as the peers).
 */
class CertificatesIT {

  private static final Duration START = Duration.ofSeconds(90);
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir
  Path work;

  private Launcher.Run pki(String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of("pki"));
    all.addAll(List.of(args));
    Launcher.Run r = Launcher.run(work, "", all.toArray(new String[0]));
    assertEquals(0, r.exit(), r.stdout() + r.stderr());
    return r;
  }

  private Path pkiDir() {
    return work.resolve("data/pki").toAbsolutePath();
  }

  private void buildPki() throws Exception {
    pki("init-ca", "--subject", "/C=US/O=Example/CN=Example Mail CA", "--key", "ec:p256");
    pki("issue", "server", "--cn", "mail.example.com");
    pki("issue", "client", "--cn", "desktop.example.net");
  }

  private List<String> nodeSettings(int smtp, String listener, String... more) {
    List<String> sets = new ArrayList<>(List.of(
        "node.hostname=mx.postern.test",
        "node.data_dir=" + work.resolve("data"),
        "queue.spool_dir=" + work.resolve("data/spool"),
        "outbound.transport=*=[127.0.0.1]:9",
        "node.admin_listen=",
        "tls.cert_chain=" + pkiDir().resolve("certs/mail.example.com.chain.pem"),
        "tls.key=" + pkiDir().resolve("private/mail.example.com.key"),
        "tls.ca_file=" + pkiDir().resolve("ca.crt"),
        "tls.crl_file=" + pkiDir().resolve("crl.pem"),
        "inbound.listeners=127.0.0.1:" + smtp + " " + listener));
    sets.addAll(List.of(more));
    return sets;
  }

  private StartTlsSession session(String name, int port, String certName) throws Exception {
    if (certName == null) {
      return new StartTlsSession(work.resolve(name + ".err"), port);
    }
    return new StartTlsSession(work.resolve(name + ".err"), port,
        "-cert", pkiDir().resolve("certs/" + certName + ".chain.pem").toString(),
        "-key", pkiDir().resolve("private/" + certName + ".key").toString());
  }

  /** One message; the final reply line of the first refused step, or of the end of DATA. */
  private static String send(StartTlsSession s) throws Exception {
    s.command("EHLO desktop.example.net");
    for (String c : List.of("MAIL FROM:<jose@example.net>", "RCPT TO:<someone@example.org>", "DATA")) {
      String reply = s.command(c);
      if (!reply.startsWith("250") && !reply.startsWith("354")) {
        return reply;
      }
    }
    return s.command("Subject: certificate test\r\n\r\nhi\r\n.");
  }

  @Test
  void theSeedsTlsCltRuleWorksAsPastedAndAServerCertificateServesAsAClientCertificate() throws Exception {
    buildPki();
    Path access = Files.writeString(work.resolve("access"), "TLS_Clt:127.0.0.1 VERIFY:128\n");
    int smtp = FreePorts.loopback();
    // No ccert= on the listener: the default asks for a certificate.
    try (NodeProcess node = NodeProcess.start(work, nodeSettings(smtp, "may", "policy.access_map=" + access))) {
      node.awaitLog("node started", START);
      try (StartTlsSession s = session("desktop", smtp, "desktop.example.net")) {
        assertTrue(send(s).startsWith("250 2.0.0 Ok: queued as"), "the matching client is let through");
        node.awaitLog("STARTTLS=server, .*verify=OK", WAIT);
      }
      try (StartTlsSession s = session("anonymous", smtp, null)) {
        assertEquals("403 4.7.0 not authenticated", send(s), "asked, and sent none");
      }
      // seed 003: "the same certificates both as a client and as a server".
      try (StartTlsSession s = session("relay", smtp, "mail.example.com")) {
        assertTrue(send(s).startsWith("250 2.0.0 Ok: queued as"));
      }
      awaitCount(node, "STARTTLS=server, .*verify=OK", 2);
      assertTrue(!node.log().contains("can never match"), node.log());
    }
  }

  @Test
  void aRuleThatCanNeverMatchIsNamedAtLoad() throws Exception {
    buildPki();
    Path access = Files.writeString(work.resolve("access"), "# pasted from sendmail\n"
        + "TLS_Clt:127.0.0.1 VERIFY:128\n"
        + "TLS_Clt:192.0.2.1 ENCR:128\n"
        + "CERTISSUER:/C=US/O=Example/CN=Example+20Mail+20CA RELAY\n");
    int smtp = FreePorts.loopback();
    try (NodeProcess node = NodeProcess.start(work, nodeSettings(smtp, "may ccert=none",
        "policy.access_map=" + access))) {
      node.awaitLog("node started", START);
      String why = " can never match: no listener asks clients for a certificate (inbound.listeners: ccert=none or"
          + " tls none on every one)";
      node.awaitLog(Pattern.quote("policy: " + access + ":2 TLS_Clt:127.0.0.1 VERIFY:128" + why), WAIT);
      node.awaitLog(Pattern.quote("policy: " + access + ":4 CERTISSUER:/C=US/O=Example/CN=Example+20Mail+20CA RELAY"
          + why), WAIT);
      assertTrue(!node.log().contains("TLS_Clt:192.0.2.1 ENCR:128 can never"), "ENCR needs no certificate");
      // What the warning foretells.
      try (StartTlsSession s = session("desktop", smtp, "desktop.example.net")) {
        assertEquals("403 4.7.0 no authentication requested", send(s));
      }
    }
  }

  @Test
  void aRevokedNextHopIsNotDeliveredToAndAnUnrevokedOneIs() throws Exception {
    buildPki();
    pki("issue", "server", "--cn", "mx.good.example");
    pki("issue", "server", "--cn", "mx.revoked.example");
    pki("revoke", pkiDir().resolve("certs/mx.revoked.example.crt").toString());
    Path policy = Files.writeString(work.resolve("tls_policy"),
        "good.example verify match=mx.good.example\nrevoked.example verify match=mx.revoked.example\n");
    try (SmtpSink good = SmtpSink.startWithCertificate(SmtpSink.Options.defaults(),
            pkiDir().resolve("certs/mx.good.example.chain.pem"), pkiDir().resolve("private/mx.good.example.key"));
        SmtpSink revoked = SmtpSink.startWithCertificate(SmtpSink.Options.defaults(),
            pkiDir().resolve("certs/mx.revoked.example.chain.pem"), pkiDir().resolve("private/mx.revoked.example.key"))) {
      int smtp = FreePorts.loopback();
      List<String> sets = new ArrayList<>(nodeSettings(smtp, "may",
          "policy.tls_policy_map=" + policy,
          "outbound.tls_ca_file=" + pkiDir().resolve("ca.crt")));
      sets.removeIf(s -> s.startsWith("outbound.transport="));
      sets.add("outbound.transport=good.example=[127.0.0.1]:" + good.port() + ", revoked.example=[127.0.0.1]:"
          + revoked.port());
      try (NodeProcess node = NodeProcess.start(work, sets)) {
        node.awaitLog("node started", START);
        node.awaitLog(Pattern.quote("outbound: next-hop certificates are checked against 1 CRL(s) from "
            + pkiDir().resolve("crl.pem") + " (tls.crl_file)"), WAIT);
        Clients.Result sent = Clients.smtplib(work, smtp, "jose@example.net", "a@good.example,b@revoked.example",
            "Subject: crl test\r\n\r\nhi\r\n".getBytes(StandardCharsets.US_ASCII), false);
        assertTrue(sent.output().contains("DATA 250"), sent.output());
        node.awaitLog("to=<b@revoked\\.example>, relay=\\S*\\[127\\.0\\.0\\.1\\]:" + revoked.port()
            + ", .*dsn=4\\.7\\.5, status=deferred \\(450 4\\.7\\.5 Server certificate not"
            + " verified \\(verify=FAIL\\) for host \\S+: certificate revoked on .*\\), tls=TLSv1\\.[23]/\\S+/\\d+/FAIL", WAIT);
        node.awaitLog("to=<a@good\\.example>, .*dsn=2\\.0\\.0, status=sent \\(.*\\), tls=TLSv1\\.[23]/\\S+/\\d+/OK", WAIT);
        assertEquals(List.of("a@good.example"), good.awaitMessages(1, WAIT).get(0).rcptTos());
        assertTrue(revoked.received().isEmpty(), "nothing reached the revoked next hop");
      }
    }
  }

  /** Polls the node's log, with a deadline, until {@code regex} has matched {@code n} lines. */
  private static void awaitCount(NodeProcess node, String regex, int n) throws InterruptedException {
    Pattern p = Pattern.compile(regex);
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (p.matcher(node.log()).results().count() < n) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("fewer than " + n + " lines match " + regex + ":\n" + node.log());
      }
      Thread.sleep(50);
    }
  }
}
