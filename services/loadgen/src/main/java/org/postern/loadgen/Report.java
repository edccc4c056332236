package org.postern.loadgen;

import io.vertx.core.json.JsonObject;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;
import org.postern.tls.TlsEngine;

/**
 * The outcome of a run, as numbers: what was asked, what happened to every session and message,
 * rates, latency percentiles, TLS facts and errors. {@link #toJson()} and {@link #toText()} show
 * the same content.
 *
 * <p>Invariants (the tests check them): {@code messagesOk + messagesFailed + messagesAborted +
 * messagesNotStarted == messagesRequested}; {@code sessionsCompleted + sessionsFailed +
 * sessionsAborted == sessionsStarted}; the DATA-to-250 histogram has one sample per message
 * accepted after the warm-up ({@code measuredMessagesOk}), the handshake histogram one per
 * successful handshake after it. Rates are the measured counts over {@code measuredSeconds}: from
 * the end of the warm-up (the start, without one) to the last completed step.
 */
public record Report(
    String target,
    String settings,
    String clientEngine,
    double wallSeconds,
    double activeSeconds,
    double warmupSeconds,
    double measuredSeconds,
    long sessionsStarted,
    long sessionsSetUp,
    long sessionsCompleted,
    long sessionsFailed,
    long sessionsAborted,
    long peakOpen,
    long peakHeld,
    long heldAtStop,
    long messagesRequested,
    long messagesOk,
    long messagesFailed,
    long messagesAborted,
    long messagesNotStarted,
    long measuredMessagesOk,
    long measuredSetUp,
    long measuredHandshakes,
    int messageSize,
    long tlsSessions,
    long handshakesOk,
    long handshakesFailed,
    Long handshakesResumed,
    Latency connect,
    Latency tlsHandshake,
    Latency dataTo250,
    Map<String, Long> tlsVersions,
    Map<String, Long> ciphers,
    Map<String, Long> replyErrors,
    Map<String, Long> exceptions) {

  /**
   * Latency percentiles in milliseconds.
   *
   * @param count samples
   */
  public record Latency(long count, double mean, double p50, double p90, double p99, double max) {

    static Latency of(Histogram h) {
      if (h.getTotalCount() == 0) {
        return new Latency(0, 0, 0, 0, 0, 0);
      }
      return new Latency(h.getTotalCount(), ms(h.getMean()), ms(h.getValueAtPercentile(50)),
          ms(h.getValueAtPercentile(90)), ms(h.getValueAtPercentile(99)), ms(h.getMaxValue()));
    }

    private static double ms(double micros) {
      return Math.round(micros) / 1000.0;
    }

    JsonObject toJson() {
      return new JsonObject().put("count", count).put("mean", mean).put("p50", p50).put("p90", p90)
          .put("p99", p99).put("max", max);
    }

    String toText() {
      return count == 0 ? "-" : String.format(Locale.ROOT, "p50 %.3f  p90 %.3f  p99 %.3f  max %.3f  (n=%d)",
          p50, p90, p99, max, count);
    }
  }

  static Report of(LoadSettings s, TlsEngine engine, GroupStats t, RunState run, long endNanos) {
    double wall = (endNanos - run.startNanos) / 1e9;
    double active = Math.max(1e-6, (run.lastActivityNanos() - run.startNanos) / 1e9);
    double measured = Math.max(0, (run.lastActivityNanos() - run.measureFromNanos) / 1e9);
    Long resumed = t.handshakesOk > 0 && t.resumptionUnknown == t.handshakesOk ? null : t.resumed;
    return new Report(Loopback.format(s.target()), s.describe(), engine.description(), round(wall), round(active),
        round(s.warmup().toNanos() / 1e9), round(measured),
        t.sessionsStarted, t.sessionsSetUp, t.sessionsCompleted, t.sessionsFailed, t.sessionsAborted,
        run.peakOpen.get(), run.peakHeld.get(), t.heldAtStop,
        s.messages(), t.messagesOk, t.messagesFailed, t.messagesAborted, run.messagesNotStarted(),
        t.measuredMessagesOk, t.measuredSetUp, t.measuredHandshakes, s.size(),
        t.tlsSessions, t.handshakesOk, t.handshakesFailed, resumed,
        Latency.of(t.connect), Latency.of(t.tlsHandshake), Latency.of(t.dataTo250),
        new TreeMap<>(t.tlsVersions), new TreeMap<>(t.ciphers), new TreeMap<>(t.replyErrors),
        new TreeMap<>(t.exceptions));
  }

  private static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }

  /** Messages accepted per measured second. */
  public double messagesPerSecond() {
    return rate(measuredMessagesOk);
  }

  /** Sessions set up (greeting, EHLO, STARTTLS if used) per measured second. */
  public double sessionsPerSecond() {
    return rate(measuredSetUp);
  }

  /** Successful TLS handshakes per measured second. */
  public double handshakesPerSecond() {
    return rate(measuredHandshakes);
  }

  private double rate(long n) {
    return measuredSeconds <= 0 ? 0 : round(n / measuredSeconds);
  }

  /** Whether nothing failed (aborted work at the duration's end is not a failure). */
  public boolean clean() {
    return sessionsFailed == 0 && messagesFailed == 0 && replyErrors.isEmpty() && exceptions.isEmpty();
  }

  public JsonObject toJson() {
    JsonObject j = new JsonObject()
        .put("target", target)
        .put("settings", settings)
        .put("clientEngine", clientEngine)
        .put("wallSeconds", wallSeconds)
        .put("activeSeconds", activeSeconds)
        .put("warmupSeconds", warmupSeconds)
        .put("measuredSeconds", measuredSeconds);
    j.put("sessions", new JsonObject()
        .put("started", sessionsStarted).put("setUp", sessionsSetUp).put("completed", sessionsCompleted)
        .put("failed", sessionsFailed).put("aborted", sessionsAborted).put("peakOpen", peakOpen)
        .put("peakHeld", peakHeld).put("heldAtStop", heldAtStop));
    j.put("messages", new JsonObject()
        .put("requested", messagesRequested).put("ok", messagesOk).put("failed", messagesFailed)
        .put("aborted", messagesAborted).put("notStarted", messagesNotStarted).put("size", messageSize)
        .put("okMeasured", measuredMessagesOk));
    j.put("throughput", new JsonObject()
        .put("messagesPerSecond", messagesPerSecond()).put("sessionsPerSecond", sessionsPerSecond())
        .put("handshakesPerSecond", handshakesPerSecond()));
    j.put("latencyMillis", new JsonObject()
        .put("connect", connect.toJson()).put("tlsHandshake", tlsHandshake.toJson())
        .put("dataTo250", dataTo250.toJson()));
    j.put("tls", new JsonObject()
        .put("sessions", tlsSessions).put("handshakes", handshakesOk).put("failed", handshakesFailed)
        .put("resumed", handshakesResumed)
        .put("versions", new JsonObject(new TreeMap<String, Object>(tlsVersions)))
        .put("ciphers", new JsonObject(new TreeMap<String, Object>(ciphers))));
    j.put("errors", new JsonObject()
        .put("replies", new JsonObject(new TreeMap<String, Object>(replyErrors)))
        .put("exceptions", new JsonObject(new TreeMap<String, Object>(exceptions))));
    return j;
  }

  public String toText() {
    StringBuilder b = new StringBuilder();
    b.append("postern loadgen: ").append(settings).append('\n');
    b.append(String.format(Locale.ROOT, "time        %.3f s wall, %.3f s active, %.3f s measured (after %.3f s warm-up)%n",
        wallSeconds, activeSeconds, measuredSeconds, warmupSeconds));
    b.append(String.format(Locale.ROOT,
        "sessions    %d started, %d set up, %d completed, %d failed, %d aborted; peak open %d, peak held %d%n",
        sessionsStarted, sessionsSetUp, sessionsCompleted, sessionsFailed, sessionsAborted, peakOpen, peakHeld));
    b.append(String.format(Locale.ROOT,
        "messages    %d requested: %d ok, %d failed, %d aborted, %d not started (%d octets each)%n",
        messagesRequested, messagesOk, messagesFailed, messagesAborted, messagesNotStarted, messageSize));
    b.append(String.format(Locale.ROOT, "throughput  %.1f msg/s, %.1f sessions/s, %.1f TLS handshakes/s (measured)%n",
        messagesPerSecond(), sessionsPerSecond(), handshakesPerSecond()));
    b.append("latency ms  connect       ").append(connect.toText()).append('\n');
    b.append("            TLS handshake ").append(tlsHandshake.toText()).append('\n');
    b.append("            DATA to 250   ").append(dataTo250.toText()).append('\n');
    b.append(String.format(Locale.ROOT, "TLS         %d sessions, %d handshakes, %d failed, resumed %s; client %s%n",
        tlsSessions, handshakesOk, handshakesFailed, handshakesResumed == null ? "unknown" : handshakesResumed,
        clientEngine));
    tlsVersions.forEach((k, v) -> b.append("            ").append(k).append(": ").append(v).append('\n'));
    ciphers.forEach((k, v) -> b.append("            ").append(k).append(": ").append(v).append('\n'));
    if (replyErrors.isEmpty() && exceptions.isEmpty()) {
      b.append("errors      none\n");
    } else {
      b.append("errors\n");
      replyErrors.forEach((k, v) -> b.append("            reply ").append(k).append(": ").append(v).append('\n'));
      exceptions.forEach((k, v) -> b.append("            ").append(k).append(": ").append(v).append('\n'));
    }
    return b.toString();
  }
}
