package org.postern.policy;

/**
 * The text of one policy file, as read from disk or pushed by the cluster.
 *
 * @param kind which language it is written in
 * @param name what errors and rules call it: the path, usually
 */
public record PolicyFile(Kind kind, String name, String text) {

  /** The two vocabularies. */
  public enum Kind {
    /** sendmail's access map ({@code policy.access_map}). */
    ACCESS_MAP,
    /** Postfix's smtp_tls_policy_maps ({@code policy.tls_policy_map}). */
    TLS_POLICY_MAP
  }

  public PolicyFile {
    if (kind == null || name == null || name.isBlank() || text == null) {
      throw new IllegalArgumentException("a policy file needs a kind, a name and a text");
    }
  }
}
