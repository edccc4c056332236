package org.postern.node;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.postern.bus.QueueAdminRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code postern queue shape}: Postfix's {@code qshape}. The queue of a running node (the same
 * list {@code queue list} reads over the admin API) counted by destination domain and age, in
 * qshape's buckets, so a destination whose mail piles up stands out at a glance.
 */
@Command(name = "shape", mixinStandardHelpOptions = true,
    description = {"Count queued messages by destination domain and age, as qshape does: the TOTAL row, then one"
        + " row per domain, most messages first. Column N counts messages less than N minutes old and at least the"
        + " previous column's; 1280+ the older ones. A message counts once for each domain it still has a pending"
        + " recipient at."})
final class QueueShape implements Callable<Integer> {

  /** qshape's bucket bounds, in minutes; a last bucket holds everything older. */
  static final int[] BOUNDS = {5, 10, 20, 40, 80, 160, 320, 640, 1280};

  @Mixin
  QueueCommand.Connection connection;

  @Option(names = "--state", paramLabel = "STATE",
      description = "Only messages in this state: active, deferred or held (qshape's queue names).")
  String state;

  /** One row: a destination's count per bucket. */
  record Row(String name, long[] counts) {
    long total() {
      long t = 0;
      for (long c : counts) {
        t += c;
      }
      return t;
    }

    JsonObject toJson() {
      JsonArray a = new JsonArray();
      for (long c : counts) {
        a.add(c);
      }
      return new JsonObject().put("destination", name).put("total", total()).put("counts", a);
    }
  }

  @Override
  public Integer call() throws InterruptedException {
    if (state != null && !Set.of("active", "deferred", "held").contains(state)) {
      System.err.println("postern queue shape: --state must be active, deferred or held, got '" + state + "'");
      return 2;
    }
    JsonObject result;
    try {
      result = connection.node.client().call(new QueueAdminRequest(QueueAdminRequest.Action.LIST, QueueAdminRequest.ALL));
    } catch (AdminClient.Failure f) {
      System.err.println("postern queue shape: " + f.getMessage());
      return f.exitCode;
    }
    List<Row> rows = shape(result.getJsonArray("messages", new JsonArray()), state, Instant.now());
    if (connection.json) {
      JsonArray minutes = new JsonArray();
      for (int b : BOUNDS) {
        minutes.add(b);
      }
      JsonObject out = new JsonObject().put("bucketMinutes", minutes)
          .put("total", rows.get(0).toJson().getJsonArray("counts"))
          .put("destinations", new JsonArray(rows.subList(1, rows.size()).stream().map(Row::toJson).toList()));
      if (result.containsKey("complete")) {
        out.put("complete", result.getValue("complete"));
      }
      System.out.println(out.encodePrettily());
    } else {
      System.out.print(render(rows));
    }
    System.out.flush();
    if (Boolean.FALSE.equals(result.getValue("complete"))) {
      System.err.println("postern queue shape: incomplete: not every queue node answered");
      return 1;
    }
    return 0;
  }

  /** TOTAL first, then each destination, most messages first (by name among equals). */
  static List<Row> shape(JsonArray messages, String state, Instant now) {
    Row total = new Row("TOTAL", new long[BOUNDS.length + 1]);
    Map<String, Row> byDomain = new LinkedHashMap<>();
    for (Object o : messages) {
      JsonObject m = (JsonObject) o;
      if (state != null && !state.equals(m.getString("state"))) {
        continue;
      }
      int bucket = bucket(Duration.between(Instant.parse(m.getString("arrival")), now));
      total.counts()[bucket]++;
      Set<String> domains = new LinkedHashSet<>();
      for (Object r : m.getJsonArray("recipients", new JsonArray())) {
        domains.add(((JsonObject) r).getString("domain"));
      }
      for (String d : domains) {
        byDomain.computeIfAbsent(d, k -> new Row(k, new long[BOUNDS.length + 1])).counts()[bucket]++;
      }
    }
    List<Row> rows = new ArrayList<>(byDomain.values());
    rows.sort(Comparator.comparingLong(Row::total).reversed().thenComparing(Row::name));
    rows.add(0, total);
    return rows;
  }

  static int bucket(Duration age) {
    long minutes = Math.max(0, age.toMinutes());
    for (int i = 0; i < BOUNDS.length; i++) {
      if (minutes < BOUNDS[i]) {
        return i;
      }
    }
    return BOUNDS.length;
  }

  static String render(List<Row> rows) {
    int width = "TOTAL".length();
    for (Row r : rows) {
      width = Math.max(width, r.name().length());
    }
    List<String> head = new ArrayList<>(List.of("T"));
    for (int b : BOUNDS) {
      head.add(String.valueOf(b));
    }
    head.add(BOUNDS[BOUNDS.length - 1] + "+");
    int[] col = new int[head.size()];
    for (int i = 0; i < col.length; i++) {
      col[i] = head.get(i).length();
      for (Row r : rows) {
        col[i] = Math.max(col[i], String.valueOf(i == 0 ? r.total() : r.counts()[i - 1]).length());
      }
    }
    StringBuilder sb = new StringBuilder();
    sb.append(" ".repeat(width));
    for (int i = 0; i < col.length; i++) {
      sb.append(' ').append(pad(head.get(i), col[i]));
    }
    sb.append('\n');
    for (Row r : rows) {
      sb.append(pad(r.name(), width));
      for (int i = 0; i < col.length; i++) {
        sb.append(' ').append(pad(String.valueOf(i == 0 ? r.total() : r.counts()[i - 1]), col[i]));
      }
      sb.append('\n');
    }
    return sb.toString();
  }

  private static String pad(String s, int width) {
    return " ".repeat(Math.max(0, width - s.length())) + s;
  }
}
