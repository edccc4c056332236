package org.postern.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postern.testkit.TestCa;
import org.postern.tls.ServerCredentials;

/** Expiry warnings and errors, and the metrics GET /metrics serves, at chosen moments of a certificate's life. */
class CertificateExpiryTest {

  @TempDir
  Path dir;

  private final List<LogRecord> logged = new ArrayList<>();
  private final Handler capture = new Handler() {
    @Override
    public void publish(LogRecord r) {
      logged.add(r);
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };
  private final Logger logger = Logger.getLogger("postern.tls");

  ServerCredentials creds;
  Instant notAfter;
  PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  @BeforeEach
  void setUp() throws Exception {
    logger.addHandler(capture);
    TestCa.Issued leaf = TestCa.create(dir.resolve("ca"), "Expiry CA").issueServer("mx.example.org");
    creds = ServerCredentials.load(leaf.chain(), leaf.key(), "tls.cert_chain " + leaf.chain());
    notAfter = leaf.certificate().getNotAfter().toInstant();
  }

  @AfterEach
  void tearDown() {
    logger.removeHandler(capture);
  }

  private void checkAt(Instant now) {
    new CertificateExpiry(registry, 30, Clock.fixed(now, ZoneOffset.UTC)).check(List.of(creds));
  }

  private List<LogRecord> about(String cn) {
    return logged.stream().filter(r -> r.getMessage().contains("CN=" + cn)).toList();
  }

  @Test
  void farFromExpiryNothingIsLoggedAndTheFlagIsZero() {
    checkAt(notAfter.minus(Duration.ofDays(100)));
    assertEquals(List.of(), about("mx.example.org"));
    assertTrue(registry.scrape().contains("subject=\"CN=mx.example.org,O=Postern tests\"} 0.0"), registry.scrape());
    assertTrue(registry.scrape().contains("postern_tls_certificate_not_after_seconds{source=\"tls.cert_chain "),
        registry.scrape());
  }

  @Test
  void withinTheWindowAWarning() {
    checkAt(notAfter.minus(Duration.ofDays(12)).minus(Duration.ofHours(1)));
    List<LogRecord> r = about("mx.example.org");
    assertEquals(1, r.size());
    assertEquals(Level.WARNING, r.get(0).getLevel());
    assertTrue(r.get(0).getMessage().startsWith("server certificate expires in 12 days, on " + notAfter), r.get(0).getMessage());
    assertTrue(registry.scrape().contains("subject=\"CN=mx.example.org,O=Postern tests\"} 1.0"), registry.scrape());
  }

  @Test
  void expiredIsAnErrorAndStillFlagged() {
    checkAt(notAfter.plus(Duration.ofDays(3)).plus(Duration.ofHours(1)));
    List<LogRecord> r = about("mx.example.org");
    assertEquals(Level.SEVERE, r.get(0).getLevel());
    assertTrue(r.get(0).getMessage().startsWith("server certificate EXPIRED on " + notAfter + " (3 days ago)"),
        r.get(0).getMessage());
    assertTrue(r.get(0).getMessage().contains("it is still served"), r.get(0).getMessage());
    assertTrue(registry.scrape().contains("subject=\"CN=mx.example.org,O=Postern tests\"} 1.0"), registry.scrape());
  }

  @Test
  void aReloadReplacesTheRows() throws Exception {
    CertificateExpiry expiry = new CertificateExpiry(registry, 30, Clock.systemUTC());
    expiry.check(List.of(creds));
    TestCa.Issued other = TestCa.create(dir.resolve("ca2"), "Second CA").issueServer("other.example.org");
    expiry.check(List.of(ServerCredentials.load(other.chain(), other.key(), "tls.cert_chain " + other.chain())));
    assertTrue(registry.scrape().contains("CN=other.example.org"), registry.scrape());
    assertTrue(!registry.scrape().contains("CN=mx.example.org"), "the replaced certificate is gone: " + registry.scrape());
  }
}
