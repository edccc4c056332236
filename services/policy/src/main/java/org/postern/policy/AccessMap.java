package org.postern.policy;

import java.util.List;
import java.util.Locale;

/**
 * sendmail's access map, compiled into a {@link PolicyModel}. Entries are {@code Tag:key value}:
 *
 * <pre>
 * TLS_Srv:server1.example.net    ENCR:256               # servers we deliver to (tls_server)
 * TLS_Clt:desktop.example.net    VERIFY:128             # clients connecting to us (tls_client)
 * TLS_Rcpt:example.com           PERM+VERIFY:112        # every path to a recipient (tls_rcpt)
 * Try_TLS:broken.example.org     NO                     # do not STARTTLS with it (try_tls)
 * CERTISSUER:/C=US/O=Example/CN=Example+20CA  RELAY     # relay for clients it certified
 * CERTSUBJECT:/C=US/CN=laptop.example.net     RELAY     # relay for this certificate
 * Connect:192.0.2                REJECT                 # OK, RELAY or REJECT
 * Srv_Features:192.0.2.7         S V                    # no STARTTLS offer, no certificate request
 * Srv_Features:                  V                      # no key: every client no entry names
 * To:example.org                 RELAY
 * From:spammer.example           REJECT                 # OK or REJECT, at MAIL
 * </pre>
 *
 * <p>A file with any error is refused whole; {@link MapLines} reports each problem with its line.
 */
final class AccessMap {

  private AccessMap() {}

  /** Adds the file's entries to {@code model}; returns the problems found (empty when none). */
  static List<String> compileInto(PolicyModel.Builder model, String name, String text) {
    return MapLines.read(name, text, line -> entry(model, line));
  }

  private static void entry(PolicyModel.Builder m, MapLines.Line line) {
    String lhs = line.key();
    int colon = lhs.indexOf(':');
    String tag = colon < 0 ? lhs : lhs.substring(0, colon);
    String key = colon < 0 ? "" : lhs.substring(colon + 1);
    if (colon >= 0 && key.isEmpty() && tag.equalsIgnoreCase("srv_features")) {
      // sendmail's srv_features looks up the bare tag last: the default for every client.
      m.srvFeaturesDefault(rule(ServerFeatures.parse(line.value(), w -> m.warnings.add(line.where() + ": " + w)),
          line));
      return;
    }
    if (colon < 0 || key.isEmpty()) {
      throw new IllegalArgumentException("expected Tag:key, got '" + lhs + "'" + (colon < 0 ? knownTags() : ""));
    }
    String value = line.value();
    switch (tag.toLowerCase(Locale.ROOT)) {
      case "tls_clt" -> m.tlsClt.add(key, rule(TlsRequirement.parse(value), line));
      case "tls_srv" -> m.tlsSrv.add(key, rule(TlsRequirement.parse(value), line));
      case "tls_rcpt" -> m.tlsRcpt.add(key, rule(TlsRequirement.parse(value), line));
      case "try_tls" -> m.tryTls.add(key, rule(tryTls(value), line));
      case "srv_features" -> m.srvFeatures.add(key,
          rule(ServerFeatures.parse(value, w -> m.warnings.add(line.where() + ": " + w)), line));
      case "connect" -> m.connect.add(key, rule(Access.parse(value, "Connect:", Access.OK, Access.RELAY, Access.REJECT),
          line));
      case "to" -> m.to.add(key, rule(Access.parse(value, "To:", Access.OK, Access.RELAY, Access.REJECT), line));
      case "from" -> m.from.add(key, rule(Access.parse(value, "From:", Access.OK, Access.REJECT), line));
      case "certissuer" -> m.addCert(m.certIssuer, DistinguishedName.parse(key),
          rule(Access.parse(value, "CERTISSUER:", Access.RELAY), line));
      case "certsubject" -> m.addCert(m.certSubject, DistinguishedName.parse(key),
          rule(Access.parse(value, "CERTSUBJECT:", Access.RELAY), line));
      default -> throw new IllegalArgumentException("unknown entry '" + tag + ":'" + knownTags());
    }
  }

  private static String knownTags() {
    return " (entries: TLS_Srv:, TLS_Clt:, TLS_Rcpt:, Try_TLS:, CERTISSUER:, CERTSUBJECT:, Connect:, Srv_Features:, To:, From:)";
  }

  private static Boolean tryTls(String value) {
    return switch (value.strip().toUpperCase(Locale.ROOT)) {
      case "NO" -> Boolean.FALSE;
      case "YES" -> Boolean.TRUE;
      default -> throw new IllegalArgumentException("Try_TLS: expects NO (or YES), got '" + value + "'");
    };
  }

  private static <T> Rule<T> rule(T value, MapLines.Line line) {
    return new Rule<>(value, line.where(), line.text());
  }
}
