package org.postern.node;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Supplier;
import org.postern.config.Listener;
import org.postern.node.cluster.ClusterMembers;
import org.postern.tls.ServerCredentials;

/**
 * The node's own facts for {@code postern status} ({@code GET /status}): name, version, roles,
 * listeners, cluster members, the served certificates' expiry and uptime. The queue's counts are
 * added by the admin API, which asks the queue as {@code postern queue list} does. CPU only (the
 * certificates are the ones already loaded): safe on an event loop.
 */
final class NodeStatus {

  private static final Duration MEMBER_DEADLINE = Duration.ofSeconds(2);

  private final String name;
  private final String version;
  private final Set<Role> roles;
  private final List<Listener> listeners;
  private final ClusterMembers members;
  private final Supplier<List<ServerCredentials>> certificates;
  private final Instant started;
  private final Clock clock;

  /**
   * @param listeners as configured at start (what is listened on changes only with a restart)
   * @param members the cluster as Hazelcast sees it, or null on a standalone node
   * @param certificates the server certificates served now (they change with a reload)
   */
  NodeStatus(String name, String version, Set<Role> roles, List<Listener> listeners, ClusterMembers members,
      Supplier<List<ServerCredentials>> certificates, Instant started, Clock clock) {
    this.name = name;
    this.version = version;
    this.roles = Set.copyOf(roles);
    this.listeners = List.copyOf(listeners);
    this.members = members;
    this.certificates = certificates;
    this.started = started;
    this.clock = clock;
  }

  Future<JsonObject> facts(Vertx vertx) {
    Instant now = clock.instant();
    JsonObject json = new JsonObject().put("node", name).put("version", version)
        .put("roles", new JsonArray(roles.stream().sorted().map(r -> r.name().toLowerCase(Locale.ROOT)).toList()))
        .put("uptimeSeconds", Duration.between(started, now).toSeconds());
    JsonArray ls = new JsonArray();
    if (roles.contains(Role.INBOUND)) {
      for (Listener l : listeners) {
        ls.add(new JsonObject().put("address", AdminBridge.address(l.address(), l.port()))
            .put("tls", l.tls().name().toLowerCase(Locale.ROOT))
            .put("ccert", l.clientCerts().name().toLowerCase(Locale.ROOT)));
      }
    }
    json.put("listeners", ls);
    JsonArray certs = new JsonArray();
    List<ServerCredentials> served = certificates.get();
    for (ServerCredentials c : served == null ? List.<ServerCredentials>of() : served) {
      X509Certificate leaf = c.leaf();
      Instant end = leaf.getNotAfter().toInstant();
      certs.add(new JsonObject().put("source", c.source()).put("subject", leaf.getSubjectX500Principal().getName())
          .put("notAfter", end.toString()).put("daysLeft", Duration.between(now, end).toDays()));
    }
    json.put("certificates", certs);
    if (members == null) {
      return Future.succeededFuture(json);
    }
    List<Future<JsonObject>> each = new ArrayList<>();
    for (String id : members.nodes()) {
      each.add(members.describeWithin(vertx, id, MEMBER_DEADLINE).map(address -> new JsonObject().put("id", id)
          .put("address", address).put("self", id.equals(members.self()))));
    }
    return Future.join(each).map(all -> {
      JsonArray cluster = new JsonArray();
      each.stream().filter(Future::succeeded).forEach(f -> cluster.add(f.result()));
      return json.put("cluster", cluster);
    });
  }
}
