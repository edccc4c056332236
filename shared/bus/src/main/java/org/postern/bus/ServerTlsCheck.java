package org.postern.bus;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.postern.config.IpLiterals;
import org.postern.config.Values;
import org.postern.smtp.Path;
import org.postern.smtp.TlsFacts;
import org.postern.smtp.Verify;

/**
 * Outbound asks policy once the STARTTLS step is over (a handshake, or none) and before MAIL:
 * is this server's TLS good enough (sendmail's tls_server and TLS_connection, Postfix's
 * verify/secure/fingerprint), and for which recipients (tls_rcpt)? Answered with a
 * {@link ServerTlsVerdict}.
 *
 * @param tls the session's TLS facts, or null when it stayed in plaintext
 * @param peerFingerprint the SHA-256 of the server's certificate, hex, or null
 * @param peerNames the DNS names the server's certificate carries
 * @param recipients the recipients this session would carry, in the delivery's order
 * @param nexthop the next-hop domain that {@code nexthop} and {@code dot-nexthop} patterns mean:
 *     the transport table's host for a routed domain, else {@code domain} (the default when null)
 * @param verify sendmail's {@code ${verify}} for the session: the facts' value over TLS; in
 *     plaintext NONE (STARTTLS not performed), TEMP (a 4xx to STARTTLS), PROTOCOL (another
 *     refusal of STARTTLS) or SOFTWARE (the handshake failed). Null means the default: the facts'
 *     value, or NONE.
 */
public record ServerTlsCheck(String domain, String host, String ip, int port, TlsFacts tls, String peerFingerprint,
    List<String> peerNames, List<Path> recipients, String nexthop, Verify verify) {

  public static final String ADDRESS = "postern.policy.server-tls.v1";
  static final int MAX_RECIPIENTS = 100_000;
  /** The {@code ${verify}} values of a STARTTLS step that gave no session. */
  public static final Set<Verify> WITHOUT_TLS = EnumSet.of(Verify.NONE, Verify.TEMP, Verify.PROTOCOL, Verify.SOFTWARE);

  /** With the default {@code verify}: the facts' value, or NONE in plaintext. */
  public ServerTlsCheck(String domain, String host, String ip, int port, TlsFacts tls, String peerFingerprint,
      List<String> peerNames, List<Path> recipients, String nexthop) {
    this(domain, host, ip, port, tls, peerFingerprint, peerNames, recipients, nexthop, null);
  }

  /** For a domain that is its own next hop (no transport route). */
  public ServerTlsCheck(String domain, String host, String ip, int port, TlsFacts tls, String peerFingerprint,
      List<String> peerNames, List<Path> recipients) {
    this(domain, host, ip, port, tls, peerFingerprint, peerNames, recipients, null, null);
  }

  public ServerTlsCheck {
    Values.domain().apply(domain);
    nexthop = nexthop == null ? domain : nexthop;
    if (tls != null) {
      if (verify != null && verify != tls.verify()) {
        throw new IllegalArgumentException("verify " + verify + " contradicts the TLS facts' " + tls.verify());
      }
      verify = tls.verify();
    } else if (verify == null) {
      verify = Verify.NONE;
    } else if (!WITHOUT_TLS.contains(verify)) {
      throw new IllegalArgumentException("verify " + verify + " needs TLS facts (plaintext: " + WITHOUT_TLS + ")");
    }
    Peers.checkHost(nexthop);
    Peers.checkHost(host);
    if (ip == null || !IpLiterals.isLiteral(ip) || port < 1 || port > 65535) {
      throw new IllegalArgumentException("an IP literal and a port are required");
    }
    if (peerFingerprint != null && !peerFingerprint.matches("[0-9A-Fa-f]{64}")) {
      throw new IllegalArgumentException("peerFingerprint must be 64 hex digits");
    }
    peerNames = List.copyOf(peerNames);
    if (peerNames.size() > 1000 || peerNames.stream().anyMatch(n -> n.isEmpty() || n.length() > 255)) {
      throw new IllegalArgumentException("implausible certificate names");
    }
    recipients = List.copyOf(recipients);
    if (recipients.isEmpty() || recipients.size() > MAX_RECIPIENTS || recipients.stream().anyMatch(Path::isNull)) {
      throw new IllegalArgumentException("one to " + MAX_RECIPIENTS + " non-null recipients are required");
    }
  }

  public JsonObject toJson() {
    return new JsonObject().put("domain", domain).put("host", host).put("ip", ip).put("port", port)
        .put("tls", Json.tls(tls)).put("peerFingerprint", peerFingerprint)
        .put("peerNames", new JsonArray(new ArrayList<Object>(peerNames))).put("recipients", Json.paths(recipients))
        .put("nexthop", nexthop).put("verify", verify.name());
  }

  public static ServerTlsCheck fromJson(JsonObject o) {
    List<String> names = new ArrayList<>();
    for (Object v : Json.array(o, "peerNames")) {
      if (!(v instanceof String s)) {
        throw new IllegalArgumentException("field 'peerNames' must hold strings");
      }
      names.add(s);
    }
    return new ServerTlsCheck(Json.string(o, "domain"), Json.string(o, "host"), Json.string(o, "ip"),
        (int) Json.number(o, "port"), Json.tls(o, "tls"), Json.optString(o, "peerFingerprint"), names,
        Json.paths(o, "recipients"), Json.optString(o, "nexthop"),
        o.getValue("verify") == null ? null : Json.enumValue(o, "verify", Verify.class));
  }

  public static final JsonCodec<ServerTlsCheck> CODEC =
      new JsonCodec<>(ADDRESS, ServerTlsCheck.class, ServerTlsCheck::toJson, ServerTlsCheck::fromJson);
}
