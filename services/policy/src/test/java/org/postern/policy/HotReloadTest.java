package org.postern.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.postern.bus.ClientTlsCheck;
import org.postern.bus.Contracts;
import org.postern.bus.TlsVerdict;
import org.postern.config.ConfigLoader;
import org.postern.smtp.Verify;

/** A changed policy file is swapped in whole; a broken one is refused and the previous rules stay. */
@ExtendWith(VertxExtension.class)
class HotReloadTest {

  private static final Logger POLICY_LOG = Logger.getLogger("postern.policy");

  @TempDir
  Path dir;

  private final List<String> log = new ArrayList<>();
  private final Handler capture = new Handler() {
    @Override
    public void publish(LogRecord r) {
      synchronized (log) {
        log.add(r.getMessage());
      }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };

  @BeforeEach
  void setUp(Vertx vertx) {
    Contracts.register(vertx);
    POLICY_LOG.addHandler(capture);
  }

  @AfterEach
  void tearDown() {
    POLICY_LOG.removeHandler(capture);
  }

  private static String ask(Vertx vertx) throws Exception {
    TlsVerdict v = Contracts.request(vertx, ClientTlsCheck.ADDRESS,
        new ClientTlsCheck("192.0.2.7", null, TlsRequirementTest.tls(Verify.OK, 128)), Duration.ofSeconds(5),
        TlsVerdict.class).await(10, TimeUnit.SECONDS);
    return (v.reply() == null ? "accept" : v.reply().toString()) + " / " + v.rule();
  }

  @Test
  void aBrokenFileIsRejectedWholeAndTheOldModelStays(Vertx vertx) throws Exception {
    Path access = dir.resolve("access");
    Files.writeString(access, "TLS_Clt:192.0.2.7 ENCR:128\n");
    PolicyVerticle policy = new PolicyVerticle(ConfigLoader.load(null,
        List.of("policy.access_map=" + access, "policy.reload_interval=0")).policy());
    vertx.deployVerticle(policy).await(10, TimeUnit.SECONDS);
    assertEquals("accept / " + access + ":1 TLS_Clt:192.0.2.7 ENCR:128", ask(vertx));

    // A stricter first line that is valid, and a broken second line: none of it may apply.
    Files.writeString(access, "TLS_Clt:192.0.2.7 ENCR:256\nTLS_Clt:192.0.2.8 ENCR:many\n");
    assertEquals(false, policy.checkForChanges().await(10, TimeUnit.SECONDS));
    assertEquals("accept / " + access + ":1 TLS_Clt:192.0.2.7 ENCR:128", ask(vertx));
    synchronized (log) {
      assertTrue(log.contains("policy: reload rejected, previous rules kept: " + access
          + ":2: bad number of bits 'many' in 'ENCR:many'"), log.toString());
    }

    // Mended: now the new rules apply.
    Files.writeString(access, "TLS_Clt:192.0.2.7 ENCR:256\nTLS_Clt:192.0.2.8 ENCR:128\n");
    assertEquals(true, policy.checkForChanges().await(10, TimeUnit.SECONDS));
    assertEquals("403 4.7.0 encryption too weak 128 less than 256 / " + access + ":1 TLS_Clt:192.0.2.7 ENCR:256",
        ask(vertx));
  }

  @Test
  void theTimerPicksUpAChangeAndAPushReplacesTheRules(Vertx vertx) throws Exception {
    Path access = dir.resolve("access");
    Files.writeString(access, "# nothing yet\n");
    PolicyVerticle policy = new PolicyVerticle(ConfigLoader.load(null,
        List.of("policy.access_map=" + access, "policy.reload_interval=1s")).policy());
    vertx.deployVerticle(policy).await(10, TimeUnit.SECONDS);
    assertTrue(ask(vertx).startsWith("accept / default:"));

    Files.writeString(access, "TLS_Clt:192.0.2.0/24 PERM+ENCR:256\n");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    String answer = ask(vertx);
    while (answer.startsWith("accept") && System.nanoTime() < deadline) {
      vertx.timer(200).await(5, TimeUnit.SECONDS);
      answer = ask(vertx);
    }
    assertEquals("503 5.7.0 encryption too weak 128 less than 256 / " + access + ":1 TLS_Clt:192.0.2.0/24 PERM+ENCR:256",
        answer);

    // The cluster's config push: the same validation, the same atomic swap.
    PolicyFile pushed = new PolicyFile(PolicyFile.Kind.ACCESS_MAP, "pushed:access", "TLS_Clt:192.0.2.7 ENCR:112\n");
    policy.replace(List.of(pushed)).await(10, TimeUnit.SECONDS);
    assertEquals("accept / pushed:access:1 TLS_Clt:192.0.2.7 ENCR:112", ask(vertx));
    PolicyFile broken = new PolicyFile(PolicyFile.Kind.ACCESS_MAP, "pushed:access", "TLS_Clt:192.0.2.7 SOMETIMES\n");
    assertTrue(awaitFailure(policy.replace(List.of(broken))));
    assertEquals("accept / pushed:access:1 TLS_Clt:192.0.2.7 ENCR:112", ask(vertx));
  }

  private static boolean awaitFailure(io.vertx.core.Future<?> f) throws Exception {
    try {
      f.await(10, TimeUnit.SECONDS);
      return false;
    } catch (Exception e) {
      return true;
    }
  }
}
