package org.postern.smtp;

/**
 * What a session needs to know about its listener and client, fixed when the connection opens.
 *
 * @param hostname our name, in the greeting and the EHLO reply
 * @param maxMessageSize the SIZE limit in octets
 * @param maxRecipients recipients accepted per transaction
 * @param tlsAvailable whether a usable TLS context exists (if not, STARTTLS gets 454)
 * @param tlsRequired whether commands other than EHLO, HELO, NOOP, RSET, QUIT and STARTTLS are
 *     refused until TLS is active
 * @param authAvailable whether AUTH is configured; it is still offered only inside TLS
 * @param maxErrors error replies after which the session ends with 421
 * @param postmaster where mail to {@code <postmaster>} and {@code <postmaster@hostname>} goes
 *     (RFC 5321 §4.5.1): accepted whatever the relay rules, as a recipient of this address
 */
public record SessionSettings(
    String hostname,
    long maxMessageSize,
    int maxRecipients,
    boolean tlsAvailable,
    boolean tlsRequired,
    boolean authAvailable,
    int maxErrors,
    Path postmaster) {

  public SessionSettings {
    if (hostname == null || hostname.isBlank()) {
      throw new IllegalArgumentException("hostname must be set");
    }
    if (maxMessageSize <= 0 || maxRecipients <= 0 || maxErrors <= 0) {
      throw new IllegalArgumentException("limits must be positive");
    }
    if (postmaster == null || postmaster.domain().isEmpty()) {
      throw new IllegalArgumentException("the postmaster address needs a domain");
    }
  }

  /** Postmaster mail to postmaster@{@code hostname}. */
  public SessionSettings(String hostname, long maxMessageSize, int maxRecipients, boolean tlsAvailable,
      boolean tlsRequired, boolean authAvailable, int maxErrors) {
    this(hostname, maxMessageSize, maxRecipients, tlsAvailable, tlsRequired, authAvailable, maxErrors,
        new Path("postmaster", hostname));
  }

  /** Settings without AUTH and with Postfix's default error limit of 20. */
  public SessionSettings(String hostname, long maxMessageSize, int maxRecipients, boolean tlsAvailable,
      boolean tlsRequired) {
    this(hostname, maxMessageSize, maxRecipients, tlsAvailable, tlsRequired, false, 20);
  }
}
