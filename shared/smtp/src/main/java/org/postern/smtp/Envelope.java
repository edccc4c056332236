package org.postern.smtp;

import java.util.List;
import java.util.Map;

/**
 * The SMTP envelope of one message: the reverse-path, the accepted forward-paths, and the MAIL
 * parameters (upper-cased keys) that travel with it.
 */
public record Envelope(Path sender, List<Path> recipients, Map<String, String> mailParams) {

  public Envelope {
    if (sender == null) {
      throw new IllegalArgumentException("sender must not be null");
    }
    if (recipients == null || recipients.isEmpty()) {
      throw new IllegalArgumentException("an envelope needs at least one recipient");
    }
    for (Path r : recipients) {
      if (r == null || r.isNull()) {
        throw new IllegalArgumentException("a recipient cannot be the null path");
      }
    }
    recipients = List.copyOf(recipients);
    mailParams = Map.copyOf(mailParams == null ? Map.of() : mailParams);
  }
}
