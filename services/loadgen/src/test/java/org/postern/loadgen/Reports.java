package org.postern.loadgen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;

/** Running a generator from a test, and the checks every report must pass. */
final class Reports {

  private Reports() {}

  /** Runs to the end; bounded by the run's own duration plus a margin. */
  static Report run(LoadSettings s) throws Exception {
    LoadGenerator g = LoadGenerator.start(s);
    return g.result().get(s.duration().toSeconds() + 30, TimeUnit.SECONDS);
  }

  /** The invariants of {@link Report}, and the JSON saying the same as the record. */
  static void assertConsistent(Report r) {
    assertEquals(r.messagesRequested(),
        r.messagesOk() + r.messagesFailed() + r.messagesAborted() + r.messagesNotStarted(), "messages add up");
    assertEquals(r.sessionsStarted(), r.sessionsCompleted() + r.sessionsFailed() + r.sessionsAborted(),
        "sessions add up");
    assertEquals(r.measuredMessagesOk(), r.dataTo250().count(), "one DATA latency per measured message");
    assertEquals(r.measuredHandshakes(), r.tlsHandshake().count(), "one handshake latency per measured handshake");
    assertTrue(r.measuredMessagesOk() <= r.messagesOk() && r.measuredHandshakes() <= r.handshakesOk()
        && r.measuredSetUp() <= r.sessionsSetUp());
    if (r.warmupSeconds() == 0) {
      assertEquals(r.messagesOk(), r.measuredMessagesOk());
      assertEquals(r.handshakesOk(), r.measuredHandshakes());
      assertEquals(r.activeSeconds(), r.measuredSeconds(), 0.002);
    }
    assertTrue(r.connect().count() <= r.sessionsStarted());
    assertTrue(r.handshakesOk() + r.handshakesFailed() <= r.tlsSessions());
    assertEquals(r.handshakesOk(), r.tlsVersions().values().stream().mapToLong(Long::longValue).sum());
    assertEquals(r.handshakesOk(), r.ciphers().values().stream().mapToLong(Long::longValue).sum());
    for (Report.Latency l : new Report.Latency[] {r.connect(), r.tlsHandshake(), r.dataTo250()}) {
      assertTrue(l.p50() <= l.p90() && l.p90() <= l.p99() && l.p99() <= l.max() * 1.001 + 0.001, l.toString());
    }
    assertTrue(r.activeSeconds() <= r.wallSeconds() + 0.001);
    JsonObject j = r.toJson();
    assertEquals(r.messagesOk(), j.getJsonObject("messages").getLong("ok"));
    assertEquals(r.messagesPerSecond(), j.getJsonObject("throughput").getDouble("messagesPerSecond"));
    assertEquals(r.dataTo250().p99(), j.getJsonObject("latencyMillis").getJsonObject("dataTo250").getDouble("p99"));
    assertEquals(r.handshakesOk(), j.getJsonObject("tls").getLong("handshakes"));
    if (r.measuredSeconds() > 0) {
      assertEquals(Math.round(r.measuredMessagesOk() / r.measuredSeconds() * 1000) / 1000.0, r.messagesPerSecond(),
          0.002);
      assertEquals(Math.round(r.measuredHandshakes() / r.measuredSeconds() * 1000) / 1000.0,
          r.handshakesPerSecond(), 0.002);
    }
  }
}
