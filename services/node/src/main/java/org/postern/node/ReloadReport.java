package org.postern.node;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * What a reload (SIGHUP or {@code postern reload}) did, the facts the node also logs.
 *
 * @param problems why the configuration could not be read; when any, nothing was applied
 * @param applied what is in force now: changed live keys, and the parts reread
 * @param restart changed keys that take effect at the next restart
 * @param kept parts that could not be applied and run as they were (e.g. a broken policy file)
 */
record ReloadReport(List<String> problems, List<String> applied, List<String> restart, List<String> kept) {

  ReloadReport {
    problems = List.copyOf(problems);
    applied = List.copyOf(applied);
    restart = List.copyOf(restart);
    kept = List.copyOf(kept);
  }

  static ReloadReport refused(List<String> problems) {
    return new ReloadReport(problems, List.of(), List.of(), List.of());
  }

  /** Everything read was applied (restart-only keys aside, which are reported, not failures). */
  boolean ok() {
    return problems.isEmpty() && kept.isEmpty();
  }

  JsonObject toJson() {
    return new JsonObject().put("ok", ok()).put("problems", new JsonArray(problems)).put("applied", new JsonArray(applied))
        .put("restart", new JsonArray(restart)).put("kept", new JsonArray(kept));
  }

  static ReloadReport fromJson(JsonObject json) {
    return new ReloadReport(strings(json, "problems"), strings(json, "applied"), strings(json, "restart"),
        strings(json, "kept"));
  }

  private static List<String> strings(JsonObject json, String key) {
    JsonArray a = json.getJsonArray(key);
    return a == null ? List.of() : a.stream().map(String::valueOf).toList();
  }
}
