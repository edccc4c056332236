package org.postern.node.push;

import io.vertx.core.Future;
import org.postern.config.InboundConfig;
import org.postern.config.TlsConfig;

/**
 * This node's inbound listener, as a configuration push changes it: limits, listener TLS modes,
 * TLS settings and certificates, in two steps so that a push applies whole or not at all.
 * {@link #prepare} does everything that can fail (reading the files, building the verifier) and
 * changes nothing; {@link #install} only swaps what was prepared, on every listener instance.
 */
public interface LiveInbound {

  /** What {@link #prepare} loaded, ready to swap in. */
  interface Prepared {
    /** For the log: what will serve, e.g. the certificates' fingerprints. */
    String describe();
  }

  /**
   * Loads the certificates {@code tls} names and the client-certificate CAs and CRL, on a worker.
   * Fails, with nothing changed, when any of it cannot be used; the message names the file and why.
   */
  Future<Prepared> prepare(InboundConfig inbound, TlsConfig tls);

  /** Swaps in what {@link #prepare} loaded, for connections accepted from now on. */
  Future<Void> install(Prepared prepared);
}
