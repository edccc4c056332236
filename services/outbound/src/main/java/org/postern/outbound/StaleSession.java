package org.postern.outbound;

/**
 * A session taken from the pool failed the RSET sent at the head of its transaction: it was
 * closed before any content went, and the delivery goes on over another session (a cached one or
 * a new connection), as when a pooled session fails its RSET before the transaction.
 */
final class StaleSession extends RuntimeException {

  StaleSession() {
    super("cached session failed RSET", null, false, false);
  }
}
