package org.postern.outbound.sts;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A fetched policy as the cache keeps it: the domain, the id of the TXT record it was fetched
 * under, the policy, and when it was fetched and stops being valid (fetch time plus max_age), in
 * epoch milliseconds. Stored as one JSON line (the file) or one JSON string (the cluster's map).
 */
public record CachedPolicy(String domain, String id, StsPolicy policy, long fetchedAt, long expiresAt) {

  public CachedPolicy {
    if (domain == null || domain.isEmpty() || id == null || !id.matches("[A-Za-z0-9]{1,32}") || policy == null) {
      throw new IllegalArgumentException("domain, id (1 to 32 letters and digits) and policy are required");
    }
  }

  static CachedPolicy fetched(String domain, String id, StsPolicy policy, long now) {
    return new CachedPolicy(domain, id, policy, now, now + policy.maxAge().toMillis());
  }

  boolean validAt(long now) {
    return now < expiresAt;
  }

  /**
   * Due for a refresh in the background: less than a quarter of its max_age left, so that a
   * policy in steady use is renewed long before it lapses (RFC 8461 §5.1 asks senders to refresh
   * before expiry) without a fetch per delivery.
   */
  boolean refreshDueAt(long now) {
    return expiresAt - now < (expiresAt - fetchedAt) / 4;
  }

  String encode() {
    return new JsonObject().put("domain", domain).put("id", id).put("mode", policy.mode().word())
        .put("mx", new JsonArray(policy.mx())).put("max_age", policy.maxAge().getSeconds())
        .put("fetched", fetchedAt).put("expires", expiresAt).encode();
  }

  /**
   * Reads {@link #encode}'s form back; throws {@link IllegalArgumentException} on anything else.
   * The policy is parsed again from its fields, so an entry holds only what a policy may.
   */
  static CachedPolicy decode(String json) {
    try {
      JsonObject o = new JsonObject(json);
      StringBuilder text = new StringBuilder("version: STSv1\nmode: ").append(o.getString("mode")).append('\n');
      List<String> mx = new ArrayList<>();
      for (Object p : o.getJsonArray("mx", new JsonArray())) {
        mx.add(String.valueOf(p));
        text.append("mx: ").append(p).append('\n');
      }
      text.append("max_age: ").append(o.getLong("max_age")).append('\n');
      StsPolicy policy = StsPolicy.parse(text.toString());
      long fetched = o.getLong("fetched");
      long expires = o.getLong("expires");
      if (expires - fetched > policy.maxAge().toMillis() || expires < fetched) {
        throw new IllegalArgumentException("expiry beyond the policy's max_age");
      }
      return new CachedPolicy(o.getString("domain"), o.getString("id"), policy, fetched, expires);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("not a cached MTA-STS policy: " + e.getMessage(), e);
    }
  }

  /** For log lines: {@code mode=enforce id=2024... max_age=86400 mx=mail.example.com,*.example.net}. */
  String describe() {
    return "mode=" + policy.mode().word() + " id=" + id + " max_age=" + policy.maxAge().getSeconds() + " mx="
        + String.join(",", policy.mx());
  }

  /** Time left, for the log. */
  Duration leftAt(long now) {
    return Duration.ofMillis(Math.max(0, expiresAt - now));
  }
}
