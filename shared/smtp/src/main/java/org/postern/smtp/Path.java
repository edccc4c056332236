package org.postern.smtp;

import java.util.Locale;

/**
 * A reverse-path or forward-path of RFC 5321 §4.1.2: a mailbox {@code local@domain}, or the null
 * path {@code <>} that bounces use as sender.
 */
public record Path(String localPart, String domain) {

  /** The null reverse-path {@code <>}. */
  public static final Path NULL = new Path("", "");

  public Path {
    if (localPart == null || domain == null) {
      throw new IllegalArgumentException("path parts must not be null");
    }
    boolean isNull = localPart.isEmpty() && domain.isEmpty();
    boolean postmaster = domain.isEmpty() && localPart.equalsIgnoreCase("postmaster");
    if (!isNull && !postmaster) {
      if (localPart.isEmpty() || domain.isEmpty()) {
        throw new IllegalArgumentException("a mailbox needs a local part and a domain");
      }
      if (localPart.length() > 64 || domain.length() > 255) {
        throw new IllegalArgumentException("mailbox too long");
      }
      if (!Addresses.isValidLocalPart(localPart) || !Addresses.isValidDomain(domain)) {
        throw new IllegalArgumentException("malformed mailbox: " + localPart + "@" + domain);
      }
    }
  }

  /** Parses {@code local@domain} (no angle brackets); the empty string is the null path. */
  public static Path parseMailbox(String mailbox) {
    if (mailbox.isEmpty()) {
      return NULL;
    }
    if (mailbox.equalsIgnoreCase("postmaster")) {
      return new Path(mailbox, "");
    }
    int at = mailbox.lastIndexOf('@');
    if (at <= 0 || at == mailbox.length() - 1) {
      throw new IllegalArgumentException("not a mailbox: " + mailbox);
    }
    return new Path(mailbox.substring(0, at), mailbox.substring(at + 1));
  }

  public boolean isNull() {
    return localPart.isEmpty();
  }

  /** True for the domain-less {@code <Postmaster>} of RFC 5321 §4.5.1, which only RCPT accepts. */
  public boolean isBarePostmaster() {
    return domain.isEmpty() && !localPart.isEmpty();
  }

  /** {@code local@domain}, or the empty string for the null path ({@code Postmaster} alone stays so). */
  public String mailbox() {
    return isNull() ? "" : domain.isEmpty() ? localPart : localPart + "@" + domain;
  }

  /** True when the mailbox needs SMTPUTF8 (RFC 6531) to be transmitted. */
  public boolean isAscii() {
    return Addresses.isAscii(localPart) && Addresses.isAscii(domain);
  }

  /** The domain in lower case, for routing and table lookups. */
  public String domainKey() {
    return domain.toLowerCase(Locale.ROOT);
  }

  /** {@code <local@domain>} or {@code <>}. */
  @Override
  public String toString() {
    return "<" + mailbox() + ">";
  }
}
