package org.postern.bus;

import io.vertx.core.json.JsonObject;
import org.postern.config.IpLiterals;
import org.postern.config.Values;

/**
 * Outbound asks policy, before it connects to one next-hop address: at what TLS level (sendmail's
 * try_tls and TLS_Srv, Postfix's {@code [host]:port} policy entries)? Answered with a
 * {@link DestinationTls}; {@code none} means do not even try STARTTLS.
 *
 * @param domain the destination domain of the delivery
 * @param host the name the address was found under (MX or transport host), or the literal
 */
public record TargetTlsCheck(String domain, String host, String ip, int port) {

  public static final String ADDRESS = "postern.policy.target-tls.v1";

  public TargetTlsCheck {
    Values.domain().apply(domain);
    Peers.checkHost(host);
    if (ip == null || !IpLiterals.isLiteral(ip) || port < 1 || port > 65535) {
      throw new IllegalArgumentException("an IP literal and a port are required");
    }
  }

  public JsonObject toJson() {
    return new JsonObject().put("domain", domain).put("host", host).put("ip", ip).put("port", port);
  }

  public static TargetTlsCheck fromJson(JsonObject o) {
    return new TargetTlsCheck(Json.string(o, "domain"), Json.string(o, "host"), Json.string(o, "ip"),
        (int) Json.number(o, "port"));
  }

  public static final JsonCodec<TargetTlsCheck> CODEC =
      new JsonCodec<>(ADDRESS, TargetTlsCheck.class, TargetTlsCheck::toJson, TargetTlsCheck::fromJson);
}
