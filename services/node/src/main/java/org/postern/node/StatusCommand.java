package org.postern.node;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code postern status}: one screen about a running node (as {@code postfix status} and
 * {@code postqueue -p}'s summary together would), from its admin API's {@code GET /status}.
 * Read-only.
 */
@Command(name = "status", mixinStandardHelpOptions = true,
    description = {"Show a running node: name and version, roles, listeners, queue counts by state,"
        + " cluster members, server certificate expiry and uptime.",
        "Exit status: 0 shown, 2 usage error or no node answering."})
final class StatusCommand implements Callable<Integer> {

  @Option(names = "--json", description = "Print the node's answer as JSON.")
  boolean json;

  @Mixin
  AdminOptions node;

  @Override
  public Integer call() throws Exception {
    JsonObject status;
    try {
      status = node.client().get("/status", Duration.ofSeconds(90));
    } catch (AdminClient.Failure f) {
      System.err.println("postern status: " + f.getMessage());
      return 2;
    }
    System.out.print(json ? status.encodePrettily() + "\n" : render(status));
    System.out.flush();
    return 0;
  }

  static String render(JsonObject s) {
    StringBuilder sb = new StringBuilder();
    sb.append("node:         ").append(s.getString("node")).append(" (").append(s.getString("version")).append(")\n");
    sb.append("uptime:       ").append(uptime(s.getLong("uptimeSeconds", 0L))).append('\n');
    sb.append("roles:        ").append(String.join(", ", strings(s.getJsonArray("roles")))).append('\n');
    JsonArray listeners = s.getJsonArray("listeners", new JsonArray());
    if (listeners.isEmpty()) {
      sb.append("listeners:    none (no inbound role)\n");
    }
    for (Object o : listeners) {
      JsonObject l = (JsonObject) o;
      sb.append("listener:     ").append(l.getString("address")).append(" tls=").append(l.getString("tls"))
          .append(" ccert=").append(l.getString("ccert")).append('\n');
    }
    JsonObject queue = s.getJsonObject("queue", new JsonObject());
    if (queue.getString("error") != null) {
      sb.append("queue:        ").append(queue.getString("error")).append('\n');
    } else {
      StringBuilder counts = new StringBuilder();
      for (Map.Entry<String, Object> e : queue) {
        if (!e.getKey().equals("complete")) {
          counts.append(counts.isEmpty() ? "" : ", ").append(e.getKey()).append(' ').append(e.getValue());
        }
      }
      sb.append("queue:        ").append(counts)
          .append(Boolean.FALSE.equals(queue.getValue("complete")) ? " (incomplete: not every queue node answered)" : "")
          .append('\n');
    }
    JsonArray cluster = s.getJsonArray("cluster");
    if (cluster == null) {
      sb.append("cluster:      standalone\n");
    } else {
      for (Object o : cluster) {
        JsonObject m = (JsonObject) o;
        sb.append("member:       ").append(m.getString("id")).append(' ')
            .append(m.getString("address") == null ? "(address unknown)" : m.getString("address"))
            .append(m.getBoolean("self", false) ? " (this node)" : "").append('\n');
      }
    }
    JsonArray certs = s.getJsonArray("certificates", new JsonArray());
    if (certs.isEmpty()) {
      sb.append("certificate:  none served\n");
    }
    for (Object o : certs) {
      JsonObject c = (JsonObject) o;
      long days = c.getLong("daysLeft");
      sb.append("certificate:  ").append(c.getString("subject")).append(", ")
          .append(days < 0 ? "EXPIRED " + -days + " days ago" : days + " days left").append(" (until ")
          .append(c.getString("notAfter")).append("; ").append(c.getString("source")).append(")\n");
    }
    return sb.toString();
  }

  private static java.util.List<String> strings(JsonArray a) {
    return a == null ? java.util.List.of() : a.stream().map(String::valueOf).toList();
  }

  private static String uptime(long seconds) {
    long d = seconds / 86_400;
    long h = seconds % 86_400 / 3600;
    long m = seconds % 3600 / 60;
    return (d > 0 ? d + "d " : "") + (d > 0 || h > 0 ? h + "h " : "") + m + "m " + seconds % 60 + "s";
  }
}
