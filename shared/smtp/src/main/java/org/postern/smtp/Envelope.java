package org.postern.smtp;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The SMTP envelope of one message: the reverse-path, the accepted forward-paths with their RCPT
 * parameters (DSN's NOTIFY and ORCPT, RFC 3461), and the MAIL parameters (upper-cased keys) that
 * travel with it (BODY, SMTPUTF8, RET, ENVID).
 *
 * @param rcptParams one map per recipient, in the same order
 */
public record Envelope(Path sender, List<Path> recipients, List<Map<String, String>> rcptParams,
    Map<String, String> mailParams) {

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
    if (rcptParams == null) {
      rcptParams = recipients.stream().map(r -> Map.<String, String>of()).toList();
    }
    if (rcptParams.size() != recipients.size()) {
      throw new IllegalArgumentException("one parameter map per recipient");
    }
    List<Map<String, String>> copy = new ArrayList<>();
    rcptParams.forEach(m -> copy.add(Map.copyOf(m)));
    rcptParams = List.copyOf(copy);
    mailParams = Map.copyOf(mailParams == null ? Map.of() : mailParams);
  }

  /** An envelope whose recipients carry no parameters. */
  public Envelope(Path sender, List<Path> recipients, Map<String, String> mailParams) {
    this(sender, recipients, null, mailParams);
  }

  /** The RCPT parameters of {@code recipient} (its first occurrence), or an empty map. */
  public Map<String, String> paramsOf(Path recipient) {
    int i = recipients.indexOf(recipient);
    return i < 0 ? Map.of() : rcptParams.get(i);
  }
}
