package org.postern.loadgen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** The generator against the in-process {@link FastSink}: small numbers, every count checked. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LoadgenAgainstSinkTest {

  static {
    // The sink and the generator share this JVM: Netty reads the client session-cache switch when
    // its first OpenSSL context (possibly the sink's) is built, so set it before either.
    System.setProperty(LoadGenerator.NETTY_CLIENT_SESSION_CACHE, "false");
  }

  private FastSink plain;
  private FastSink tls;

  @BeforeEach
  void sinks(Vertx vertx) throws Exception {
    plain = FastSink.start(vertx, FastSink.Options.of(0, false)).toCompletionStage().toCompletableFuture()
        .get(30, TimeUnit.SECONDS);
    tls = FastSink.start(vertx, FastSink.Options.of(0, true)).toCompletionStage().toCompletableFuture()
        .get(30, TimeUnit.SECONDS);
  }

  private static LoadSettings to(FastSink sink) {
    return new LoadSettings().target(new InetSocketAddress(InetAddress.getLoopbackAddress(), sink.port()))
        .duration(Duration.ofSeconds(20)).eventLoops(2);
  }

  @Test
  void plaintextMessagesAllArrive() throws Exception {
    Report r = Reports.run(to(plain).sessions(5).messages(53).size(1000));
    Reports.assertConsistent(r);
    assertTrue(r.clean(), r.toText());
    assertEquals(53, r.messagesOk());
    assertEquals(53, plain.messages());
    long wire = MessageBody.wire(MessageBody.content(1000, "loadgen@loadgen.invalid", "sink@sink.invalid")).length();
    assertEquals(53L * wire, plain.bytes(), "the DATA section, stuffed and terminated, every time");
    assertEquals(5, r.sessionsStarted(), "53 messages over 5 sessions: 11 per session");
    assertEquals(5, plain.sessions());
    assertEquals(0, r.tlsSessions());
    assertEquals(0, r.tlsHandshake().count());
    assertTrue(r.messagesPerSecond() > 0);
  }

  @Test
  void halfTheSessionsUseStartTls() throws Exception {
    Report r = Reports.run(to(tls).sessions(4).messages(40).perSession(2).starttlsPercent(50));
    Reports.assertConsistent(r);
    assertTrue(r.clean(), r.toText());
    assertEquals(40, tls.messages());
    assertEquals(20, r.sessionsStarted());
    assertEquals(10, r.tlsSessions());
    assertEquals(10, r.handshakesOk());
    assertEquals(10, tls.tlsSessions());
    assertEquals(Map.of("TLSv1.3", 10L), r.tlsVersions());
    assertEquals(0L, r.handshakesResumed(), "every handshake is a full one");
  }

  @Test
  void handshakeRunWithoutMessages() throws Exception {
    Report r = Reports.run(to(tls).sessions(3).messages(0).connections(12).starttlsPercent(100));
    Reports.assertConsistent(r);
    assertTrue(r.clean(), r.toText());
    assertEquals(12, r.sessionsStarted());
    assertEquals(12, r.sessionsCompleted());
    assertEquals(12, r.handshakesOk());
    assertEquals(12, tls.tlsSessions());
    assertEquals(0, tls.messages());
    assertTrue(r.handshakesPerSecond() > 0);
    assertEquals(0L, r.handshakesResumed());
  }

  @Test
  void holdKeepsSessionsOpenUntilStopped() throws Exception {
    LoadSettings s = to(tls).sessions(6).messages(0).starttlsPercent(50).hold(true).duration(Duration.ofSeconds(30));
    LoadGenerator g = LoadGenerator.start(s);
    g.allSettled().get(20, TimeUnit.SECONDS);
    assertEquals(new LoadGenerator.HoldStatus(6, 0), g.holdStatus());
    assertEquals(6, tls.open(), "the sink sees six open connections");
    g.stop();
    Report r = g.result().get(20, TimeUnit.SECONDS);
    Reports.assertConsistent(r);
    assertTrue(r.clean(), r.toText());
    assertEquals(6, r.peakHeld());
    assertEquals(6, r.heldAtStop());
    assertEquals(6, r.sessionsCompleted(), "each held session said QUIT and got 221");
    assertEquals(3, r.handshakesOk());
    assertTrue(r.wallSeconds() < 25, "stopped early, not at the duration");
  }

  @Test
  void durationBoundsTheRun() throws Exception {
    Report r = Reports.run(to(plain).sessions(2).messages(1_000).rate(20).duration(Duration.ofMillis(1500)));
    Reports.assertConsistent(r);
    assertTrue(r.wallSeconds() < 1.5 + LaneGroup.STOP_GRACE_MS / 1000.0 + 1, "wall " + r.wallSeconds());
    assertTrue(r.messagesOk() >= 10 && r.messagesOk() <= 40, "about 20/s for 1.5 s: " + r.messagesOk());
    // At the end at most one message per session is in flight (aborted); the rest never started.
    assertTrue(r.messagesAborted() <= 2, "aborted " + r.messagesAborted());
    assertTrue(r.messagesNotStarted() >= 1_000 - 40);
    assertEquals(0, r.messagesFailed());
    assertEquals(2, r.sessionsAborted());
  }

  @Test
  void rateCapsMessagesPerSecond() throws Exception {
    Report r = Reports.run(to(plain).sessions(4).messages(30).rate(30));
    Reports.assertConsistent(r);
    assertEquals(30, r.messagesOk());
    // 30 messages at 30/s: the first goes at once, the last about 29/30 s later.
    assertTrue(r.activeSeconds() >= 0.9, "active " + r.activeSeconds());
  }

  @Test
  void warmupIsLeftOutOfRatesAndPercentiles() throws Exception {
    // 40 messages at 20/s: about half of them complete in the first second, the warm-up.
    Report r = Reports.run(to(plain).sessions(2).messages(40).rate(20).warmup(Duration.ofSeconds(1)));
    Reports.assertConsistent(r);
    assertEquals(40, r.messagesOk());
    assertEquals(40, plain.messages());
    assertTrue(r.measuredMessagesOk() > 5 && r.measuredMessagesOk() < 35, "measured " + r.measuredMessagesOk());
    assertEquals(r.activeSeconds() - 1.0, r.measuredSeconds(), 0.01);
  }

  @Test
  void connectionRefusedIsCountedByExceptionType() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    LoadSettings s = new LoadSettings().target(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))
        .sessions(2).messages(6).perSession(3).duration(Duration.ofSeconds(10));
    Report r = Reports.run(s);
    Reports.assertConsistent(r);
    // Every session carries at least one message, so six messages end the run after six sessions.
    assertEquals(6, r.messagesFailed());
    assertEquals(6, r.sessionsFailed());
    assertEquals(Map.of("ConnectException", 6L), r.exceptions().entrySet().stream()
        .collect(java.util.stream.Collectors.toMap(e -> e.getKey().replace("AnnotatedConnectException",
            "ConnectException"), Map.Entry::getValue, Long::sum)));
    assertEquals(0, r.connect().count());
  }

  @Test
  void startTlsAlwaysFailsWhenNotOffered() throws Exception {
    Report r = Reports.run(to(plain).sessions(1).messages(2).starttlsPercent(100));
    Reports.assertConsistent(r);
    assertEquals(Map.of("NoStartTls", 2L), r.exceptions(), "two sessions, one message each");
    assertEquals(2, r.messagesFailed());
    assertEquals(2, r.sessionsFailed());
    assertEquals(0, plain.messages());
  }

  @Test
  void sourceAddressesAreUsedInTurn() throws Exception {
    Report r = Reports.run(to(plain).sessions(2).messages(4).perSession(1)
        .sources(List.of(InetAddress.getByName("127.0.0.2"), InetAddress.getByName("127.0.0.3"))));
    Reports.assertConsistent(r);
    assertTrue(r.clean(), r.toText());
    assertEquals(4, plain.messages());
    assertEquals(java.util.Set.of("127.0.0.2", "127.0.0.3"), plain.clientAddresses());
  }
}
