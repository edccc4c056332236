package org.postern.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.postern.config.ConfigLoader;
import org.postern.config.Listener.ClientCerts;
import org.postern.config.TlsConfig;
import org.postern.testkit.TestCa;

/**
 * tls.ciphers and tls.protocols reach the handshake on both engines: the default refuses suites
 * without forward secrecy and anything older than TLS 1.2, and a narrower setting narrows further.
 * Each refusal is checked on the server's side, so a client that refused by itself cannot pass.
 */
@ExtendWith(VertxExtension.class)
class CipherPolicyTest {

  @TempDir
  static Path dir;

  static Vertx vertx;
  static TestCa.Issued ecdsa;
  static TestCa.Issued rsa;

  @BeforeAll
  static void setUp(Vertx v) {
    vertx = v;
    TestCa ca = TestCa.create(dir, "Cipher CA");
    ecdsa = ca.issueServer("mx.test");
    rsa = ca.issueRsaServer("mx.test");
  }

  private static TlsTestServer<String> start(String engine, String... settings) throws Exception {
    List<String> all = new ArrayList<>(List.of("tls.cert_chain=" + ecdsa.chain(), "tls.key=" + ecdsa.key(),
        "tls.more_certificates=" + rsa.chain() + " " + rsa.key()));
    all.addAll(List.of(settings));
    TlsConfig tls = ConfigLoader.load(null, all).tls();
    var options = ServerTls.options(ServerCredentials.loadAll(tls, dir, "unused"), tls, ClientCerts.NONE,
        Duration.ofSeconds(10));
    return TlsTestServer.start(vertx, TlsEngine.choose(engine, tls.groups()), options,
        session -> session.getProtocol() + " " + session.getCipherSuite());
  }

  private static void assertRefused(TlsTestServer<String> s, String... args) throws Exception {
    OpenSslClient.Result r = OpenSslClient.connect(s.port(), args);
    assertFalse(r.handshakeCompleted(), r.output());
    s.next().failed();
  }

  private static String accepted(TlsTestServer<String> s, String... args) throws Exception {
    OpenSslClient.Result r = OpenSslClient.connect(s.port(), args);
    assertTrue(r.handshakeCompleted(), r.output());
    return s.next().success();
  }

  @ParameterizedTest
  @ValueSource(strings = {"openssl", "jdk"})
  void suitesWithoutForwardSecrecyAreRefused(String engine) throws Exception {
    try (var s = start(engine)) {
      assertRefused(s, "-tls1_2", "-cipher", "AES128-GCM-SHA256");
      assertRefused(s, "-tls1_2", "-cipher", "AES256-SHA256");
      // The positive control: the same client with a forward-secret suite gets through.
      assertEquals("TLSv1.2 TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
          accepted(s, "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"openssl", "jdk"})
  void tls11IsRefused(String engine) throws Exception {
    try (var s = start(engine)) {
      // SECLEVEL=0 lets OpenSSL 3 offer TLS 1.1 at all; the refusal must come from the server.
      assertRefused(s, "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"openssl", "jdk"})
  void configuredCipherListIsTheOneEnforced(String engine) throws Exception {
    try (var s = start(engine, "tls.ciphers=TLS_AES_256_GCM_SHA384, TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384")) {
      assertRefused(s, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256");
      assertEquals("TLSv1.2 TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
          accepted(s, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384"));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"openssl", "jdk"})
  void configuredProtocolsAreTheOnesEnforced(String engine) throws Exception {
    try (var s = start(engine, "tls.protocols=TLSv1.3")) {
      assertRefused(s, "-tls1_2");
      assertTrue(accepted(s, "-tls1_3").startsWith("TLSv1.3 "));
    }
  }

  /**
   * tls.groups decides the key exchange: with only P-256 allowed, a client offering only X25519
   * is refused, and one offering X25519 first is moved to P-256 (a HelloRetryRequest).
   */
  @Test
  void configuredGroupsAreTheOnesEnforced() throws Exception {
    try (var s = start("openssl", "tls.groups=P-256")) {
      assertRefused(s, "-tls1_3", "-groups", "X25519");
      OpenSslClient.Result r = OpenSslClient.connect(s.port(), "-tls1_3", "-groups", "X25519:P-256");
      assertTrue(r.handshakeCompleted(), r.output());
      assertTrue(r.output().contains("Server Temp Key: ECDH, prime256v1"), r.output());
      s.next().success();
    }
  }

  /** The control: by default the same client keeps the X25519 it prefers. */
  @Test
  void defaultGroupsTakeTheClientsX25519() throws Exception {
    try (var s = start("openssl")) {
      OpenSslClient.Result r = OpenSslClient.connect(s.port(), "-tls1_3", "-groups", "X25519:P-256");
      assertTrue(r.handshakeCompleted(), r.output());
      assertTrue(r.output().contains("Server Temp Key: X25519"), r.output());
      s.next().success();
    }
  }
}
