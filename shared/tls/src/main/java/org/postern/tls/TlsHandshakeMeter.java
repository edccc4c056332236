package org.postern.tls;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * {@code postern_tls_handshakes_total{side, version, cipher, result}}: every STARTTLS handshake of
 * one side (inbound or outbound), by the protocol version and cipher it agreed on (OpenSSL's names,
 * as in the log's {@code STARTTLS=} lines), or {@code result="failed"} with version and cipher
 * {@code none}. An operator graphs how much mail still arrives over TLS 1.2, and spots a peer
 * whose handshakes start failing.
 *
 * <p>Cost: a handshake costs a millisecond of CPU; the counter for a version and cipher is found
 * in a concurrent map once per handshake, never per message. The versions and ciphers are the
 * few the engine was configured to offer, so the series stay few. Thread-safe.
 */
public final class TlsHandshakeMeter {

  /** Which end of the connection we are. */
  public enum Side {
    INBOUND, OUTBOUND
  }

  private static final String NAME = "postern_tls_handshakes";

  private final MeterRegistry registry;
  private final String side;
  private final Counter failed;
  private final ConcurrentMap<String, Counter> succeeded = new ConcurrentHashMap<>();

  public TlsHandshakeMeter(MeterRegistry registry, Side side) {
    this.registry = registry;
    this.side = side.name().toLowerCase(Locale.ROOT);
    this.failed = counter("none", "none", "failed");
  }

  /** A handshake that completed with {@code version} (e.g. TLSv1.3) and {@code cipher}. */
  public void succeeded(String version, String cipher) {
    Counter c = succeeded.get(version + ' ' + cipher);
    if (c == null) {
      c = succeeded.computeIfAbsent(version + ' ' + cipher, k -> counter(version, cipher, "ok"));
    }
    c.increment();
  }

  /** A handshake that did not complete (the peer's alert, a timeout, no common cipher). */
  public void failed() {
    failed.increment();
  }

  private Counter counter(String version, String cipher, String result) {
    return Counter.builder(NAME).description("STARTTLS handshakes by side, protocol version, cipher and result")
        .tag("side", side).tag("version", version).tag("cipher", cipher).tag("result", result).register(registry);
  }
}
