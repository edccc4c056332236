package org.postern.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.postern.config.ConfigLoader;
import org.postern.config.Listener.ClientCerts;
import org.postern.config.TlsConfig;
import org.postern.testkit.TestCa;

/**
 * Several server certificates ({@code tls.more_certificates}), on both engines: chosen by the SNI
 * name the client sends, and between an RSA and an ECDSA certificate for one name by what the
 * client supports. The certificate the real openssl client saw is compared with the one expected.
 */
@ExtendWith(VertxExtension.class)
class CertificateSelectionTest {

  @TempDir
  static Path dir;

  static Vertx vertx;
  static TestCa ca;
  static TestCa.Issued a;
  static TestCa.Issued b;
  static TestCa.Issued bRsa;
  static TestCa.Issued c;
  static TestCa.Issued mx;
  static TestCa.Issued mxRsa;

  @BeforeAll
  static void setUp(Vertx v) {
    vertx = v;
    ca = TestCa.create(dir, "Selection CA");
    a = ca.issueServer("a.test");
    b = ca.issueServer("b.test");
    bRsa = ca.issueRsaServer("b.test");
    c = ca.issueServer("*.c.test");
    mx = ca.issueServer("mx.test");
    mxRsa = ca.issueRsaServer("mx.test");
  }

  /** A server presenting {@code primary} and then {@code more}, reporting the SNI name it saw. */
  private static TlsTestServer<String> start(String engine, TestCa.Issued primary, TestCa.Issued... more)
      throws Exception {
    StringBuilder pairs = new StringBuilder();
    for (TestCa.Issued m : more) {
      pairs.append(pairs.isEmpty() ? "" : ", ").append(m.chain()).append(' ').append(m.key());
    }
    TlsConfig tls = ConfigLoader.load(null, List.of("tls.cert_chain=" + primary.chain(), "tls.key=" + primary.key(),
        "tls.more_certificates=" + pairs)).tls();
    var options = ServerTls.options(ServerCredentials.loadAll(tls, dir, "unused"), tls, ClientCerts.NONE,
        Duration.ofSeconds(10));
    return TlsTestServer.start(vertx, TlsEngine.choose(engine), options, session -> session.getProtocol());
  }

  /** The certificate s_client was shown; the server's side must have completed too. */
  private static X509Certificate presented(TlsTestServer<String> s, String... args) throws Exception {
    OpenSslClient.Result r = OpenSslClient.connect(s.port(), args);
    assertTrue(r.handshakeCompleted(), r.output());
    s.next().success();
    return r.serverCertificate();
  }

  private static void assertPresented(TestCa.Issued expected, X509Certificate actual) {
    assertEquals(expected.certificate().getSubjectX500Principal().getName() + " "
        + expected.certificate().getPublicKey().getAlgorithm(), actual.getSubjectX500Principal().getName() + " "
        + actual.getPublicKey().getAlgorithm());
    assertEquals(expected.certificate(), actual);
  }

  /**
   * With one certificate there is nothing for SNI to choose: the options leave Vert.x's SNI handler
   * out (its ClientHello parse and handler swap cost every session CPU), and a client asking for
   * any name still gets that certificate.
   */
  @ParameterizedTest
  @ValueSource(strings = {"openssl", "jdk"})
  void oneCertificateNeedsNoSni(String engine) throws Exception {
    TlsConfig tls = ConfigLoader.load(null, List.of("tls.cert_chain=" + a.chain(), "tls.key=" + a.key())).tls();
    assertFalse(ServerTls.options(ServerCredentials.loadAll(tls, dir, "unused"), tls, ClientCerts.NONE,
        Duration.ofSeconds(10)).isSni());
    try (TlsTestServer<String> s = start(engine, a)) {
      assertPresented(a, presented(s, "-servername", "a.test"));
      assertPresented(a, presented(s, "-servername", "other.test"));
      assertPresented(a, presented(s, "-noservername"));
    }
    TlsConfig two = ConfigLoader.load(null, List.of("tls.cert_chain=" + a.chain(), "tls.key=" + a.key(),
        "tls.more_certificates=" + b.chain() + " " + b.key())).tls();
    assertTrue(ServerTls.options(ServerCredentials.loadAll(two, dir, "unused"), two, ClientCerts.NONE,
        Duration.ofSeconds(10)).isSni());
  }

  @ParameterizedTest
  @ValueSource(strings = {"openssl", "jdk"})
  void sniNameChoosesTheCertificate(String engine) throws Exception {
    try (var s = start(engine, a, b, c)) {
      assertPresented(a, presented(s, "-servername", "a.test"));
      assertPresented(b, presented(s, "-servername", "b.test"));
      assertPresented(c, presented(s, "-servername", "mx.c.test"));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"openssl", "jdk"})
  void withoutSniOrForAnUnknownNameThePrimary(String engine) throws Exception {
    try (var s = start(engine, a, b, c)) {
      assertPresented(a, presented(s, "-noservername"));
      assertPresented(a, presented(s, "-servername", "unknown.test"));
      assertPresented(a, presented(s, "-servername", "c.test")); // the wildcard covers one label, not zero
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"openssl", "jdk"})
  void serverReportsTheIndicatedName(String engine) throws Exception {
    try (var s = start(engine, a, b)) {
      OpenSslClient.Result r = OpenSslClient.connect(s.port(), "-servername", "b.test");
      assertTrue(r.handshakeCompleted(), r.output());
      assertEquals("b.test", s.next().indicatedServerName());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"openssl", "jdk"})
  void rsaOnlyTls12ClientGetsTheRsaCertificate(String engine) throws Exception {
    try (var s = start(engine, mx, mxRsa)) {
      assertPresented(mxRsa, presented(s, "-noservername", "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"));
      assertPresented(mx, presented(s, "-noservername", "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"));
      assertPresented(mxRsa, presented(s, "-servername", "mx.test", "-tls1_2", "-cipher",
          "ECDHE-RSA-AES128-GCM-SHA256"));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"openssl", "jdk"})
  void tls13ClientGetsTheKeyTypeItsSignatureSchemesAllow(String engine) throws Exception {
    try (var s = start(engine, mx, mxRsa)) {
      assertPresented(mx, presented(s, "-noservername", "-tls1_3"));
      assertPresented(mxRsa, presented(s, "-noservername", "-tls1_3", "-sigalgs", "rsa_pss_rsae_sha256"));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"openssl", "jdk"})
  void rsaPrimaryStillServesEcdsaOnlyClients(String engine) throws Exception {
    try (var s = start(engine, mxRsa, mx)) {
      assertPresented(mx, presented(s, "-noservername", "-tls1_3", "-sigalgs", "ecdsa_secp256r1_sha256"));
      assertPresented(mx, presented(s, "-noservername", "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"));
      assertPresented(mxRsa, presented(s, "-noservername", "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"));
    }
  }

  /**
   * When the client could use either certificate, BoringSSL takes the configured order (primary
   * first), while the JDK follows the client's preference (for TLS 1.3 its signature-scheme
   * order). Recorded here so a change in either engine shows up.
   */
  @ParameterizedTest
  @ValueSource(strings = {"openssl", "jdk"})
  void whenTheClientCanUseBothTheEngineDecides(String engine) throws Exception {
    try (var s = start(engine, mxRsa, mx)) {
      X509Certificate ecdsaPreferred = presented(s, "-noservername", "-tls1_3", "-sigalgs",
          "ecdsa_secp256r1_sha256:rsa_pss_rsae_sha256");
      X509Certificate rsaPreferred = presented(s, "-noservername", "-tls1_3", "-sigalgs",
          "rsa_pss_rsae_sha256:ecdsa_secp256r1_sha256");
      assertPresented(engine.equals("openssl") ? mxRsa : mx, ecdsaPreferred);
      assertPresented(mxRsa, rsaPreferred);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"openssl", "jdk"})
  void sniAndKeyTypeTogether(String engine) throws Exception {
    try (var s = start(engine, a, b, bRsa)) {
      assertPresented(bRsa, presented(s, "-servername", "b.test", "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"));
      assertPresented(b, presented(s, "-servername", "b.test", "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"));
      // a.test has only ECDSA: an RSA-only client asking for it gets b.test's RSA certificate
      // rather than no TLS at all.
      assertPresented(bRsa, presented(s, "-servername", "a.test", "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"));
    }
  }
}
