package org.postern.outbound.sts;

import java.util.List;
import java.util.Optional;

/**
 * The {@code _mta-sts.<domain>} TXT record (RFC 8461 §3.1): {@code v=STSv1; id=...;}. Only the
 * id matters to a sender: a new id says the policy changed and must be fetched again.
 */
public final class StsRecord {

  private StsRecord() {}

  /**
   * The policy id in {@code txts} (the TXT strings of the name, each record's strings already
   * joined). Records that do not start with {@code v=STSv1} are someone else's and ignored;
   * none left, or more than one, or one without a valid id, means no policy (§3.1).
   */
  public static Optional<String> id(List<String> txts) {
    String found = null;
    for (String txt : txts) {
      String t = txt.strip();
      if (!t.startsWith("v=STSv1")) {
        continue;
      }
      if (found != null) {
        return Optional.empty();
      }
      found = t;
    }
    if (found == null) {
      return Optional.empty();
    }
    String[] fields = found.split(";");
    if (!fields[0].strip().equals("v=STSv1")) {
      return Optional.empty();
    }
    for (int i = 1; i < fields.length; i++) {
      String f = fields[i].strip();
      if (f.startsWith("id=")) {
        String id = f.substring(3);
        return id.matches("[A-Za-z0-9]{1,32}") ? Optional.of(id) : Optional.empty();
      }
    }
    return Optional.empty();
  }
}
