package org.postern.bus;

import java.util.regex.Pattern;
import io.vertx.core.json.JsonObject;
import org.postern.config.IpLiterals;
import org.postern.smtp.TlsFacts;

/**
 * Who handed us a message: what the Received header and the logs say about the client.
 *
 * @param tls the inbound session's TLS facts, or null in plaintext
 */
public record ClientInfo(String ip, String helo, String protocol, TlsFacts tls) {

  private static final Pattern PROTOCOL = Pattern.compile("(UTF8)?E?SMTPS?A?");

  public ClientInfo {
    if (ip == null || !IpLiterals.isLiteral(ip)) {
      throw new IllegalArgumentException("ip must be an IP literal: " + ip);
    }
    if (helo == null || helo.length() > 255 || protocol == null || !PROTOCOL.matcher(protocol).matches()) {
      throw new IllegalArgumentException("bad helo or protocol");
    }
  }

  JsonObject toJson() {
    return new JsonObject().put("ip", ip).put("helo", helo).put("protocol", protocol).put("tls", Json.tls(tls));
  }

  static ClientInfo fromJson(JsonObject o) {
    return new ClientInfo(Json.string(o, "ip"), Json.string(o, "helo"), Json.string(o, "protocol"), Json.tls(o, "tls"));
  }
}
