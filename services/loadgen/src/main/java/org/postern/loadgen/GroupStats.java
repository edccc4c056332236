package org.postern.loadgen;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * The statistics of one event loop's sessions. Only that event loop writes them, so nothing here
 * is synchronized; {@link #merge} adds them up once every loop has finished.
 */
final class GroupStats {

  /** Latencies are recorded in microseconds, up to ten minutes, with three significant digits. */
  static final long MAX_MICROS = TimeUnit.MINUTES.toMicros(10);

  final Histogram connect = histogram();
  final Histogram tlsHandshake = histogram();
  final Histogram dataTo250 = histogram();

  long sessionsStarted;
  long sessionsSetUp;
  long sessionsCompleted;
  long sessionsFailed;
  long sessionsAborted;
  long tlsSessions;
  long handshakesOk;
  long handshakesFailed;
  long resumed;
  long resumptionUnknown;
  long messagesOk;
  /** Counted only once the warm-up is over: what the rates and histograms are made of. */
  long measuredMessagesOk;
  long measuredSetUp;
  long measuredHandshakes;
  long messagesFailed;
  long messagesAborted;
  long heldAtStop;
  final Map<String, Long> replyErrors = new TreeMap<>();
  final Map<String, Long> exceptions = new TreeMap<>();
  final Map<String, Long> tlsVersions = new TreeMap<>();
  final Map<String, Long> ciphers = new TreeMap<>();

  static Histogram histogram() {
    return new Histogram(MAX_MICROS, 3);
  }

  static void record(Histogram h, long nanos) {
    h.recordValue(Math.min(MAX_MICROS, Math.max(0, TimeUnit.NANOSECONDS.toMicros(nanos))));
  }

  static void count(Map<String, Long> m, String key) {
    m.merge(key, 1L, Long::sum);
  }

  /** Counts a failure: a reply by its code and stage, anything else by its exception type. */
  void error(Throwable t) {
    if (t instanceof LoadErrors.UnexpectedReply r) {
      count(replyErrors, r.key());
    } else {
      count(exceptions, t.getClass().getSimpleName());
    }
  }

  void merge(GroupStats o) {
    connect.add(o.connect);
    tlsHandshake.add(o.tlsHandshake);
    dataTo250.add(o.dataTo250);
    sessionsStarted += o.sessionsStarted;
    sessionsSetUp += o.sessionsSetUp;
    sessionsCompleted += o.sessionsCompleted;
    sessionsFailed += o.sessionsFailed;
    sessionsAborted += o.sessionsAborted;
    tlsSessions += o.tlsSessions;
    handshakesOk += o.handshakesOk;
    handshakesFailed += o.handshakesFailed;
    resumed += o.resumed;
    resumptionUnknown += o.resumptionUnknown;
    messagesOk += o.messagesOk;
    measuredMessagesOk += o.measuredMessagesOk;
    measuredSetUp += o.measuredSetUp;
    measuredHandshakes += o.measuredHandshakes;
    messagesFailed += o.messagesFailed;
    messagesAborted += o.messagesAborted;
    heldAtStop += o.heldAtStop;
    o.replyErrors.forEach((k, v) -> replyErrors.merge(k, v, Long::sum));
    o.exceptions.forEach((k, v) -> exceptions.merge(k, v, Long::sum));
    o.tlsVersions.forEach((k, v) -> tlsVersions.merge(k, v, Long::sum));
    o.ciphers.forEach((k, v) -> ciphers.merge(k, v, Long::sum));
  }
}
