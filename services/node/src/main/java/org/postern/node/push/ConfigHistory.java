package org.postern.node.push;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;
import java.util.List;
import org.postern.bus.ConfigPush;

/**
 * Every applied push, kept in the cluster manager's distributed map {@value #MAP} (a Hazelcast
 * map, held in the members' memory with one backup; on a single node a local map): {@code vN}
 * for each version, {@code current} for the newest. A node reads {@code current} when it starts;
 * {@code postern config rollback} reads an older one. Entries are the signed bundles as pushed,
 * and whoever reads one verifies its signature again: the map is as writable as the bus. Pushed
 * private keys are left out (the signature covers them by digest, so the copy still verifies):
 * Hazelcast's own traffic, which carries this map's backups, is not encrypted.
 */
final class ConfigHistory {

  static final String MAP = "postern.config.history";
  private static final String CURRENT = "current";

  private ConfigHistory() {}

  private static Future<AsyncMap<String, String>> map(Vertx vertx) {
    return vertx.sharedData().<String, String>getAsyncMap(MAP);
  }

  /** The newest applied bundle, or null when nothing was ever pushed to this cluster. */
  static Future<ConfigPush> current(Vertx vertx) {
    return map(vertx).compose(m -> m.get(CURRENT)).map(ConfigHistory::decode);
  }

  /** The bundle of {@code version}, or null when the history does not hold it. */
  static Future<ConfigPush> get(Vertx vertx, long version) {
    return map(vertx).compose(m -> m.get("v" + version)).map(ConfigHistory::decode);
  }

  /** The versions the history holds, in order. */
  static Future<List<Long>> versions(Vertx vertx) {
    return map(vertx).compose(AsyncMap::keys).map(keys -> keys.stream().filter(k -> k.matches("v\\d{1,18}"))
        .map(k -> Long.parseLong(k.substring(1))).sorted().toList());
  }

  /** Records an applied bundle; it becomes {@code current} unless a newer one already is. */
  static Future<Void> record(Vertx vertx, ConfigPush push) {
    // Without private keys: Hazelcast replicates this map in plaintext (see withoutKeys).
    String json = push.withoutKeys().withReplyTo("").toJson().encode();
    return map(vertx).compose(m -> m.put("v" + push.version(), json)
        .compose(v -> m.get(CURRENT))
        .compose(existing -> {
          ConfigPush newest = decode(existing);
          return newest != null && newest.version() >= push.version() ? Future.<Void>succeededFuture()
              : m.put(CURRENT, json);
        }));
  }

  private static ConfigPush decode(String json) {
    return json == null ? null : ConfigPush.fromJson(new JsonObject(json));
  }
}
