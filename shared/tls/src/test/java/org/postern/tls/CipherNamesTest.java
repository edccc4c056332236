package org.postern.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.postern.config.ConfigLoader;
import org.postern.config.Listener.ClientCerts;
import org.postern.config.TlsConfig;
import org.postern.smtp.Verify;
import org.postern.testkit.TestCa;

/**
 * The cipher in TLS facts carries OpenSSL's name, as sendmail's and Postfix's logs do: the table
 * agrees with what {@code openssl ciphers -stdname} says, and a real TLS 1.2 handshake on either
 * engine comes out named the OpenSSL way.
 */
@ExtendWith(VertxExtension.class)
class CipherNamesTest {

  @TempDir
  Path dir;

  @Test
  void everyEntryIsWhatOpenSslCallsTheSuite() throws Exception {
    Process p = new ProcessBuilder("openssl", "ciphers", "-stdname", "ALL:@SECLEVEL=0").redirectErrorStream(true)
        .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
    assertTrue(p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0, out);
    Map<String, String> openssl = new HashMap<>();
    for (String line : out.split("\n")) {
      String[] w = line.strip().split("\\s+");
      if (w.length >= 3 && w[1].equals("-")) {
        openssl.put(w[0], w[2]);
      }
    }
    CipherNames.table().forEach((iana, name) -> {
      if (openssl.containsKey(iana)) {
        assertEquals(openssl.get(iana), name, iana);
      }
    });
    for (String iana : List.of("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256")) {
      assertEquals(openssl.get(iana), CipherNames.openSsl(iana), "the defaults are all in openssl's list");
    }
  }

  @Test
  void tls13SuitesAndUnknownOnesKeepTheirNames() {
    assertEquals("TLS_AES_256_GCM_SHA384", CipherNames.openSsl("TLS_AES_256_GCM_SHA384"));
    assertEquals("TLS_CHACHA20_POLY1305_SHA256", CipherNames.openSsl("TLS_CHACHA20_POLY1305_SHA256"));
    assertEquals("TLS_SOMETHING_NEW", CipherNames.openSsl("TLS_SOMETHING_NEW"));
    assertEquals("DES-CBC3-SHA", CipherNames.openSsl("SSL_RSA_WITH_3DES_EDE_CBC_SHA"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"openssl", "jdk"})
  void aTls12HandshakeIsNamedTheOpenSslWay(String engine, Vertx vertx) throws Exception {
    TestCa.Issued ecdsa = TestCa.create(dir, "Names CA").issueServer("mx.test");
    TlsConfig tls = ConfigLoader.load(null, List.of("tls.cert_chain=" + ecdsa.chain(), "tls.key=" + ecdsa.key()))
        .tls();
    var options = ServerTls.options(ServerCredentials.loadAll(tls, dir, "unused"), tls, ClientCerts.NONE,
        Duration.ofSeconds(10));
    try (var s = TlsTestServer.start(vertx, TlsEngine.choose(engine, tls.groups()), options,
        session -> SessionFacts.of(session, Verify.NOT))) {
      assertTrue(OpenSslClient.connect(s.port(), "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256")
          .handshakeCompleted());
      var facts = s.next().success();
      assertEquals("ECDHE-ECDSA-AES128-GCM-SHA256", facts.cipher());
      assertEquals(128, facts.cipherBits());
      assertTrue(OpenSslClient.connect(s.port(), "-tls1_3", "-ciphersuites", "TLS_AES_256_GCM_SHA384")
          .handshakeCompleted());
      assertEquals("TLS_AES_256_GCM_SHA384", s.next().success().cipher());
    }
  }
}
