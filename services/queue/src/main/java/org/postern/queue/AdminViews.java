package org.postern.queue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.postern.bus.DeliveryReport;

/**
 * The JSON an operator sees for {@code postern queue list} and {@code show}: per message its id,
 * arrival, size, sender, state, attempts, next attempt and its pending recipients with their last
 * reply ({@code show} adds every recipient and the recent attempts with their TLS, {@link Attempt}); per queue the counts per state and per destination domain. The shape is documented in
 * {@code deploy/README.md}.
 */
final class AdminViews {

  private AdminViews() {}

  /** Messages in order of arrival, then id. */
  static List<Scheduled> sorted(Collection<Scheduled> messages) {
    return messages.stream().sorted(Comparator.comparing((Scheduled s) -> s.message.arrival())
        .thenComparing(s -> s.message.queueId())).toList();
  }

  /** {@code {"messages": [...], "counts": {...}, "destinations": {...}}}. */
  static JsonObject list(Collection<Scheduled> messages) {
    JsonArray out = new JsonArray();
    Map<Scheduled.State, Integer> counts = new TreeMap<>();
    for (Scheduled.State st : Scheduled.State.values()) {
      counts.put(st, 0);
    }
    Map<String, int[]> destinations = new TreeMap<>();
    long octets = 0;
    for (Scheduled s : sorted(messages)) {
      out.add(entry(s, false));
      counts.merge(s.state(), 1, Integer::sum);
      octets += s.size;
      Map<String, Integer> perDomain = new TreeMap<>();
      for (org.postern.smtp.Path r : s.pending()) {
        perDomain.merge(r.domainKey(), 1, Integer::sum);
      }
      perDomain.forEach((d, n) -> {
        int[] c = destinations.computeIfAbsent(d, k -> new int[2]);
        c[0]++;
        c[1] += n;
      });
    }
    JsonObject countJson = new JsonObject().put("total", messages.size());
    counts.forEach((st, n) -> countJson.put(st.name().toLowerCase(Locale.ROOT), n));
    JsonObject destJson = new JsonObject();
    destinations.forEach((d, c) -> destJson.put(d, new JsonObject().put("messages", c[0]).put("recipients", c[1])));
    return new JsonObject().put("messages", out).put("counts", countJson.put("octets", octets))
        .put("destinations", destJson);
  }

  /**
   * One message.
   *
   * @param allRecipients every recipient with its status ({@code show}), or only the pending ones
   *     ({@code list})
   */
  static JsonObject entry(Scheduled s, boolean allRecipients) {
    JsonArray rcpts = new JsonArray();
    for (org.postern.smtp.Path r : s.message.envelope().recipients()) {
      boolean done = s.done.contains(r.mailbox());
      if (done && !allRecipients) {
        continue;
      }
      DeliveryReport.RecipientResult last = s.lastDeferral.get(r.mailbox());
      JsonObject o = new JsonObject().put("address", r.mailbox()).put("domain", r.domainKey());
      if (allRecipients) {
        o.put("status", done ? "done" : "pending");
      }
      o.put("lastReply", done || last == null ? null : last.reply().toString())
          .put("relay", done || last == null ? null : last.relay());
      rcpts.add(o);
    }
    JsonObject o = new JsonObject()
        .put("queueId", s.message.queueId())
        .put("arrival", s.message.arrival().toString())
        .put("size", s.size)
        .put("sender", s.message.envelope().sender().mailbox())
        .put("state", s.state().name().toLowerCase(Locale.ROOT))
        .put("attempts", s.attempts)
        .put("nextAttempt", s.held || s.nextAttempt == null ? null : s.nextAttempt.toString())
        .put("recipients", rcpts);
    if (allRecipients) {
      JsonArray history = new JsonArray();
      s.history.forEach(a -> history.add(a.toJson()));
      o.put("history", history);
    }
    return o;
  }
}
