package org.postern.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.net.ClientSSLOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.postern.config.ConfigLoader;
import org.postern.config.Listener.ClientCerts;
import org.postern.config.TlsConfig;
import org.postern.smtp.TlsFacts;
import org.postern.smtp.Verify;
import org.postern.testkit.TestCa;

/**
 * Client certificates in real handshakes, on both engines: the handshake accepts whatever the
 * client presents (or nothing), and the verdict afterwards is sendmail's verify macro.
 */
@ExtendWith(VertxExtension.class)
class ClientCertHandshakeTest {

  @TempDir
  static Path dir;

  static Vertx vertx;
  static TestCa ca;
  static TestCa otherCa;
  static TestCa.Issued server;
  static TestCa.Issued alice;
  static TestCa.Issued revoked;
  static Path crl;

  @BeforeAll
  static void setUp(Vertx v) {
    vertx = v;
    ca = TestCa.create(dir, "Postern Test CA");
    otherCa = TestCa.create(dir, "Some Other CA");
    server = ca.issueServer("mx.postern.test");
    alice = ca.issueClient("alice");
    revoked = ca.issueClient("revoked");
    ca.revoke(revoked.certificate());
    crl = ca.writeCrl();
  }

  private static TlsConfig tls() throws Exception {
    return ConfigLoader.load(null, List.of("tls.cert_chain=" + server.chain(), "tls.key=" + server.key(),
        "tls.ca_file=" + ca.certificatePath(), "tls.crl_file=" + crl)).tls();
  }

  /** A server asking for client certificates per {@code mode}, reporting each session's facts. */
  private static TlsTestServer<TlsFacts> start(String engine, ClientCerts mode) throws Exception {
    TlsConfig tls = tls();
    ClientCertVerifier verifier = ClientCertVerifier.load(tls);
    var options = ServerTls.options(ServerCredentials.loadAll(tls, dir, "unused"), tls, mode, Duration.ofSeconds(10));
    return TlsTestServer.start(vertx, TlsEngine.choose(engine), options,
        session -> SessionFacts.ofClient(session, mode, verifier));
  }

  private static TlsFacts handshakeWith(TlsTestServer<TlsFacts> s, String... args) throws Exception {
    OpenSslClient.Result r = OpenSslClient.connect(s.port(), args);
    assertTrue(r.handshakeCompleted(), r.output());
    return s.next().success();
  }

  @ParameterizedTest
  @ValueSource(strings = {"openssl", "jdk"})
  void certificateFromTheCaIsOkWithItsNames(String engine) throws Exception {
    try (var s = start(engine, ClientCerts.REQUEST)) {
      TlsFacts f = handshakeWith(s, "-cert", alice.chain().toString(), "-key", alice.key().toString());
      assertEquals(Verify.OK, f.verify());
      assertEquals("alice", f.cnSubject());
      assertEquals("Postern Test CA", f.cnIssuer());
      assertEquals("CN=alice,O=Postern tests", f.certSubject());
      assertEquals("CN=Postern Test CA,O=Postern tests", f.certIssuer());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"openssl", "jdk"})
  void certificateFromAnotherCaHandshakesAndFails(String engine) throws Exception {
    TestCa.Issued mallory = otherCa.issueClient("mallory");
    try (var s = start(engine, ClientCerts.REQUIRE)) {
      TlsFacts f = handshakeWith(s, "-cert", mallory.chain().toString(), "-key", mallory.key().toString());
      assertEquals(Verify.FAIL, f.verify());
      assertEquals("mallory", f.cnSubject());
      assertEquals("Some Other CA", f.cnIssuer());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"openssl", "jdk"})
  void revokedCertificateHandshakesAndFails(String engine) throws Exception {
    try (var s = start(engine, ClientCerts.REQUEST)) {
      TlsFacts f = handshakeWith(s, "-cert", revoked.chain().toString(), "-key", revoked.key().toString());
      assertEquals(Verify.FAIL, f.verify());
      assertEquals("revoked", f.cnSubject());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"openssl", "jdk"})
  void expiredCertificateHandshakesAndFails(String engine) throws Exception {
    Instant now = Instant.now();
    TestCa.Issued old = ca.issueClient("old", now.minus(Duration.ofDays(10)), now.minus(Duration.ofDays(1)));
    try (var s = start(engine, ClientCerts.REQUEST)) {
      TlsFacts f = handshakeWith(s, "-cert", old.chain().toString(), "-key", old.key().toString());
      assertEquals(Verify.FAIL, f.verify());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"openssl", "jdk"})
  void noCertificateUnderRequestIsNo(String engine) throws Exception {
    try (var s = start(engine, ClientCerts.REQUEST)) {
      TlsFacts f = handshakeWith(s);
      assertEquals(Verify.NO, f.verify());
      assertEquals("", f.certSubject());
      assertEquals("", f.cnSubject());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"openssl", "jdk"})
  void noCertificateUnderRequireStillHandshakes(String engine) throws Exception {
    try (var s = start(engine, ClientCerts.REQUIRE)) {
      assertEquals(Verify.NO, handshakeWith(s).verify());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"openssl", "jdk"})
  void nothingIsRequestedUnderNone(String engine) throws Exception {
    try (var s = start(engine, ClientCerts.NONE)) {
      // The client has a certificate, but is never asked for it.
      TlsFacts f = handshakeWith(s, "-cert", alice.chain().toString(), "-key", alice.key().toString());
      assertEquals(Verify.NOT, f.verify());
      assertEquals("", f.certSubject());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"openssl", "jdk"})
  void vertxClientSendingItsWholeChainIsOk(String engine) throws Exception {
    TlsEngine e = TlsEngine.choose(engine);
    try (var s = start(engine, ClientCerts.REQUEST)) {
      ClientSSLOptions clientTls = ClientTls.opportunistic(List.of("TLSv1.2", "TLSv1.3"), Duration.ofSeconds(10))
          .setKeyCertOptions(new PemKeyCertOptions().setCertPath(alice.chain().toString())
              .setKeyPath(alice.key().toString()));
      // Held and closed explicitly: Vert.x closes a client that becomes unreachable (a Cleaner),
      // which a GC during the handshake would otherwise do.
      NetClient client = vertx.createNetClient(new NetClientOptions().setSslEngineOptions(e.options()));
      try {
        client.connect(s.port(), "127.0.0.1")
            .compose(socket -> socket.upgradeToSsl(clientTls).eventually(socket::close))
            .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      } finally {
        client.close();
      }
      TlsFacts f = s.next().success();
      assertEquals(Verify.OK, f.verify());
      assertEquals("alice", f.cnSubject());
    }
  }
}
