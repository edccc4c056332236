package org.postern.node.push;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.postern.bus.ConfigPush;
import org.postern.config.ConfigLoader;
import org.postern.config.PolicyConfig;

/**
 * What a push would drop from the configuration in force on this node, each part as a sentence
 * that says what would change and how to keep it. A bundle replaces the whole pushed configuration:
 * a part it leaves out is not "unchanged" but gone (the access map and TLS policy map become none;
 * pushed settings and TLS files return to the node's own). An empty or partial file pushed by
 * mistake would open or close relaying cluster-wide, so a node refuses such a push unless the
 * operator said {@code --replace}.
 */
final class LeftOut {

  private static final String OR_REPLACE = "or give --replace to push exactly these files";

  private LeftOut() {}

  /**
   * @param push the push being judged
   * @param current the push in force here, or null while the node's own files are
   * @param own the node's own policy settings (its {@code policy.access_map} and {@code policy.tls_policy_map})
   * @return nothing when the push keeps every part in force, or when it says {@code replace}
   */
  static List<String> of(ConfigPush push, ConfigPush current, PolicyConfig own) {
    List<String> out = new ArrayList<>();
    if (push.replace()) {
      return out;
    }
    String version = current == null ? null : "version " + current.version();
    map(out, "access map", "--policy-access", push.accessMap(),
        current != null ? pushed(current.accessMap(), version) : own("policy.access_map", own.accessMap()));
    map(out, "TLS policy map", "--policy-tls", push.tlsPolicyMap(),
        current != null ? pushed(current.tlsPolicyMap(), version) : own("policy.tls_policy_map", own.tlsPolicyMap()));
    if (current == null) {
      // The node's own settings and TLS files are what a push leaves out returns to: nothing is lost.
      return out;
    }
    Set<String> dropped = keys(current.settings());
    dropped.removeAll(keys(push.settings()));
    if (!dropped.isEmpty()) {
      out.add("the push leaves out " + String.join(", ", dropped) + ", which " + version + " set: "
          + (dropped.size() == 1 ? "it" : "they") + " would return to this node's own value; push "
          + (dropped.size() == 1 ? "it" : "them") + " again, " + OR_REPLACE);
    }
    ConfigPush.TlsFiles was = current.tls();
    ConfigPush.TlsFiles now = push.tls();
    if (was != null) {
      if (!was.certificates().isEmpty() && (now == null || now.certificates().isEmpty())) {
        out.add("the push has no server certificate, but " + version + "'s ("
            + String.join(", ", was.certificates().stream().map(ConfigPush.Certificate::name).toList())
            + ") are served: the listener would return to this node's own tls.cert_chain; push them again with"
            + " --tls-cert CHAIN KEY, " + OR_REPLACE);
      }
      if (was.caFile() != null && (now == null || now.caFile() == null)) {
        out.add("the push has no CA file, but " + version + "'s " + was.caFile().name() + " checks client"
            + " certificates: this node's own tls.ca_file would; push it again with --tls-ca-file FILE, " + OR_REPLACE);
      }
      if (was.crlFile() != null && (now == null || now.crlFile() == null)) {
        out.add("the push has no CRL, but " + version + "'s " + was.crlFile().name() + " is in force: this"
            + " node's own tls.crl_file would be; push it again with --tls-crl-file FILE, " + OR_REPLACE);
      }
    }
    return out;
  }

  private static void map(List<String> out, String what, String option, ConfigPush.Text pushed, String inForce) {
    if (pushed == null && inForce != null) {
      out.add("the push has no " + what + ", but " + inForce + " is in force: it would be removed, leaving no "
          + what + "; push it again with " + option + " FILE (an empty file to remove its rules), " + OR_REPLACE);
    }
  }

  private static String pushed(ConfigPush.Text text, String version) {
    return text == null ? null : "the " + text.name() + " of " + version;
  }

  private static String own(String key, String path) {
    return path == null || path.isEmpty() ? null : "this node's own " + key + " (" + path + ")";
  }

  /** The keys a pushed settings text names (it was validated when it was applied). */
  private static Set<String> keys(ConfigPush.Text settings) {
    if (settings == null) {
      return new LinkedHashSet<>();
    }
    return new LinkedHashSet<>(ConfigLoader.entries(settings.name(), settings.text(), new ArrayList<>()).keySet());
  }
}
