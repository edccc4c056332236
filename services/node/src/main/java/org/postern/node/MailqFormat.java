package org.postern.node;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The human forms of the admin API's answers: {@code list} as Postfix's {@code mailq} prints the
 * queue, {@code show} as {@code postcat -q} would, and one line per message for the changes.
 */
final class MailqFormat {

  /** Postfix's arrival-time column: {@code Tue Nov 24 03:00:00}. */
  private static final DateTimeFormatter ARRIVAL = DateTimeFormatter.ofPattern("EEE MMM dd HH:mm:ss", Locale.ROOT);
  private static final String INDENT = " ".repeat(48);

  private final ZoneId zone;

  MailqFormat(ZoneId zone) {
    this.zone = zone;
  }

  /**
   * The queue as mailq shows it: per message the queue id (then {@code *} active, {@code !} held,
   * a space for deferred), size, arrival and sender; under it each pending recipient, after its
   * last reply in parentheses; then one summary line with the counts per state and destination.
   */
  String list(JsonObject result) {
    JsonArray messages = result.getJsonArray("messages");
    if (messages.isEmpty()) {
      return "Mail queue is empty\n";
    }
    StringBuilder sb = new StringBuilder();
    sb.append(String.format("%-17s %8s %-20s %s%n", "-Queue ID-", "--Size--", "----Arrival Time----",
        "-Sender/Recipient-------"));
    for (Object o : messages) {
      JsonObject m = (JsonObject) o;
      char mark = switch (m.getString("state")) {
        case "held" -> '!';
        case "active" -> '*';
        default -> ' ';
      };
      sb.append(String.format("%-16s%c %8d %-20s %s%n", m.getString("queueId"), mark, m.getLong("size"),
          arrival(m.getString("arrival")), sender(m.getString("sender"))));
      String lastReason = null;
      for (Object r : m.getJsonArray("recipients")) {
        JsonObject rcpt = (JsonObject) r;
        String reason = rcpt.getString("lastReply");
        if (reason != null && !Objects.equals(reason, lastReason)) {
          sb.append(INDENT).append('(').append(reason).append(")\n");
        }
        lastReason = reason;
        sb.append(INDENT).append(rcpt.getString("address")).append('\n');
      }
      sb.append('\n');
    }
    sb.append(summary(result)).append('\n');
    return sb.toString();
  }

  /** {@code -- 3 Kbytes in 2 Requests (1 active, 0 deferred, 1 held); destinations: example.net 2, example.org 1.} */
  static String summary(JsonObject result) {
    JsonObject c = result.getJsonObject("counts");
    long kbytes = (c.getLong("octets") + 1023) / 1024;
    int total = c.getInteger("total");
    List<String> dest = new ArrayList<>();
    for (Map.Entry<String, Object> e : result.getJsonObject("destinations")) {
      dest.add(e.getKey() + " " + ((JsonObject) e.getValue()).getInteger("messages"));
    }
    return "-- " + kbytes + " Kbytes in " + total + " Request" + (total == 1 ? "" : "s") + " ("
        + c.getInteger("active") + " active, " + c.getInteger("deferred") + " deferred, " + c.getInteger("held")
        + " held); destinations: " + (dest.isEmpty() ? "none" : String.join(", ", dest)) + ".";
  }

  /** One message in full: envelope, schedule, recipients, then its header section. */
  String show(JsonObject result) {
    JsonObject m = result.getJsonObject("message");
    JsonObject env = m.getJsonObject("envelope");
    JsonObject client = env.getJsonObject("client");
    StringBuilder sb = new StringBuilder();
    sb.append("Queue ID:    ").append(m.getString("queueId")).append(" (").append(m.getString("state")).append(")\n");
    sb.append("Arrival:     ").append(arrival(m.getString("arrival"))).append(" (").append(m.getString("arrival"))
        .append(")\n");
    sb.append("Size:        ").append(m.getLong("size")).append(" octets\n");
    sb.append("Sender:      <").append(m.getString("sender")).append('>').append(params(env.getJsonObject("mailParams")))
        .append('\n');
    sb.append("Client:      ").append(client.getString("helo")).append(" [").append(client.getString("ip"))
        .append("], ").append(client.getString("protocol"));
    if (client.getJsonObject("tls") != null) {
      JsonObject tls = client.getJsonObject("tls");
      sb.append(", ").append(tls.getString("version")).append(' ').append(tls.getString("cipher"));
    }
    sb.append('\n');
    String next = m.getString("nextAttempt");
    sb.append("Attempts:    ").append(m.getInteger("attempts")).append(" since the node started; next attempt: ")
        .append(next == null ? (m.getString("state").equals("held") ? "none (held)" : "under way") : arrival(next))
        .append('\n');
    sb.append("Recipients:\n");
    JsonArray params = env.getJsonArray("rcptParams");
    JsonArray rcpts = m.getJsonArray("recipients");
    for (int i = 0; i < rcpts.size(); i++) {
      JsonObject r = rcpts.getJsonObject(i);
      sb.append("  <").append(r.getString("address")).append('>')
          .append(params != null && i < params.size() ? params(params.getJsonObject(i)) : "")
          .append(": ").append(r.getString("status"));
      if (r.getString("lastReply") != null) {
        sb.append(" (").append(r.getString("lastReply")).append(", relay=").append(r.getString("relay")).append(')');
      }
      sb.append('\n');
    }
    sb.append('\n').append(m.getString("headers").replace("\r\n", "\n"));
    if (m.getBoolean("headersTruncated", false)) {
      sb.append("[header section cut at 64 KiB]\n");
    }
    return sb.toString();
  }

  /** One line per message changed or skipped, and a total. */
  static String changes(JsonObject result) {
    String action = result.getString("action");
    String verb = switch (action) {
      case "hold" -> "placed on hold";
      case "release" -> "released from hold";
      case "delete" -> "removed";
      default -> "requeued";
    };
    StringBuilder sb = new StringBuilder();
    JsonArray changed = result.getJsonArray("changed");
    JsonArray skipped = result.getJsonArray("skipped");
    for (Object id : changed) {
      sb.append(id).append(": ").append(verb).append('\n');
    }
    for (Object o : skipped) {
      JsonObject s = (JsonObject) o;
      sb.append(s.getString("queueId")).append(": skipped: ").append(s.getString("reason")).append('\n');
    }
    sb.append(action).append(' ').append(result.getString("target")).append(": ").append(changed.size())
        .append(changed.size() == 1 ? " message " : " messages ").append(verb);
    if (!skipped.isEmpty()) {
      sb.append(", ").append(skipped.size()).append(" skipped");
    }
    return sb.append('\n').toString();
  }

  private String arrival(String iso) {
    return ARRIVAL.format(Instant.parse(iso).atZone(zone));
  }

  private static String sender(String s) {
    return s.isEmpty() ? "MAILER-DAEMON" : s;
  }

  private static String params(JsonObject p) {
    if (p == null || p.isEmpty()) {
      return "";
    }
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<String, Object> e : p) {
      sb.append(' ').append(e.getKey());
      if (e.getValue() instanceof String v && !v.isEmpty()) {
        sb.append('=').append(v);
      }
    }
    return sb.toString();
  }
}
