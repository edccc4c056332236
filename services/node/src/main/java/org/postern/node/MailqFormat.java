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
   * A cluster's answer (with {@code "nodes"}) is shown node by node, then the cluster's totals and
   * a line for each node whose queue is missing from the answer.
   */
  String list(JsonObject result) {
    JsonArray nodes = result.getJsonArray("nodes");
    if (nodes == null) {
      JsonArray messages = result.getJsonArray("messages");
      return messages.isEmpty() ? "Mail queue is empty\n" : messages(messages) + summary(result) + "\n";
    }
    StringBuilder sb = new StringBuilder();
    int queues = 0;
    for (Object o : nodes) {
      JsonObject n = (JsonObject) o;
      if (!"ok".equals(n.getString("status"))) {
        continue;
      }
      queues++;
      String name = n.getString("node");
      JsonArray mine = new JsonArray();
      for (Object m : result.getJsonArray("messages")) {
        if (name.equals(((JsonObject) m).getString("node"))) {
          mine.add(m);
        }
      }
      sb.append("Node ").append(name).append(":\n")
          .append(mine.isEmpty() ? "Mail queue is empty\n" : messages(mine))
          .append(counts(n.getJsonObject("counts"))).append(" on ").append(name).append(".\n\n");
    }
    sb.append(counts(result.getJsonObject("counts"))).append(" on ").append(queues).append(" queue node")
        .append(queues == 1 ? "" : "s").append("; destinations: ").append(destinations(result)).append(".\n");
    return sb.append(missing(result)).toString();
  }

  private String messages(JsonArray messages) {
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
    return sb.toString();
  }

  /** {@code -- 3 Kbytes in 2 Requests (1 active, 0 deferred, 1 held); destinations: example.net 2, example.org 1.} */
  static String summary(JsonObject result) {
    return counts(result.getJsonObject("counts")) + "; destinations: " + destinations(result) + ".";
  }

  /** {@code -- 3 Kbytes in 2 Requests (1 active, 0 deferred, 1 held)}. */
  private static String counts(JsonObject c) {
    long kbytes = (c.getLong("octets") + 1023) / 1024;
    long total = c.getLong("total");
    return "-- " + kbytes + " Kbytes in " + total + " Request" + (total == 1 ? "" : "s") + " ("
        + c.getLong("active") + " active, " + c.getLong("deferred") + " deferred, " + c.getLong("held") + " held)";
  }

  private static String destinations(JsonObject result) {
    List<String> dest = new ArrayList<>();
    for (Map.Entry<String, Object> e : result.getJsonObject("destinations")) {
      dest.add(e.getKey() + " " + ((JsonObject) e.getValue()).getInteger("messages"));
    }
    return dest.isEmpty() ? "none" : String.join(", ", dest);
  }

  /**
   * In a cluster's answer, one line per member whose queue is missing from it (no answer, or an
   * error); empty when every queue answered.
   */
  static String missing(JsonObject result) {
    JsonArray nodes = result.getJsonArray("nodes");
    if (nodes == null) {
      return "";
    }
    StringBuilder sb = new StringBuilder();
    for (Object o : nodes) {
      JsonObject n = (JsonObject) o;
      String status = n.getString("status");
      if (status.equals("no_answer") || status.equals("failed")) {
        String who = n.getString("member") != null ? n.getString("member") + " (node id " + n.getString("id") + ")"
            : "node id " + n.getString("id");
        sb.append("-- INCOMPLETE: ").append(who).append(": ").append(n.getString("error"))
            .append("; its queue is not included\n");
      }
    }
    return sb.toString();
  }

  /** One message in full: envelope, schedule, recipients, then its header section. */
  String show(JsonObject result) {
    JsonObject m = result.getJsonObject("message");
    JsonObject env = m.getJsonObject("envelope");
    JsonObject client = env.getJsonObject("client");
    StringBuilder sb = new StringBuilder();
    sb.append("Queue ID:    ").append(m.getString("queueId")).append(" (").append(m.getString("state")).append(")\n");
    if (result.getJsonArray("nodes") != null) {
      sb.append("Node:        ").append(result.getString("node")).append('\n');
    }
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
    JsonArray history = m.getJsonArray("history");
    if (history != null && !history.isEmpty()) {
      // As the delivery log writes the TLS: version/cipher/bits/verify, or none.
      sb.append("Attempts since the node started:\n");
      for (Object o : history) {
        JsonObject a = (JsonObject) o;
        JsonObject tls = a.getJsonObject("tls");
        sb.append("  ").append(arrival(a.getString("at"))).append(" relay=").append(a.getString("relay"))
            .append(", tls=").append(tls == null ? "none" : tls.getString("version") + "/" + tls.getString("cipher")
                + "/" + tls.getInteger("bits") + "/" + tls.getString("verify"))
            .append('\n');
        for (Object r : a.getJsonArray("results")) {
          JsonObject x = (JsonObject) r;
          sb.append("    <").append(x.getString("recipient")).append(">: ").append(x.getString("status"))
              .append(" (").append(x.getString("reply")).append(")\n");
        }
      }
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
    JsonObject on = result.getJsonObject("changedOn", new JsonObject());
    for (Object id : changed) {
      sb.append(id).append(": ").append(verb)
          .append(on.getString(String.valueOf(id)) == null ? "" : " (on " + on.getString(String.valueOf(id)) + ")")
          .append('\n');
    }
    for (Object o : skipped) {
      JsonObject s = (JsonObject) o;
      sb.append(s.getString("queueId")).append(": skipped: ").append(s.getString("reason"))
          .append(s.getString("node") == null ? "" : " (on " + s.getString("node") + ")").append('\n');
    }
    sb.append(action).append(' ').append(result.getString("target")).append(": ").append(changed.size())
        .append(changed.size() == 1 ? " message " : " messages ").append(verb);
    if (!skipped.isEmpty()) {
      sb.append(", ").append(skipped.size()).append(" skipped");
    }
    JsonArray nodes = result.getJsonArray("nodes");
    if (nodes != null) {
      long queues = nodes.stream().filter(n -> ((JsonObject) n).getString("status").matches("ok|not_here")).count();
      sb.append(" on ").append(queues).append(" queue node").append(queues == 1 ? "" : "s");
    }
    return sb.append('\n').append(missing(result)).toString();
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
