package org.postern.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.postern.bus.Contracts;
import org.postern.bus.QueueAdminReply;
import org.postern.bus.QueueAdminRequest;
import org.postern.config.ConfigException;
import org.postern.config.ConfigLoader;
import org.postern.config.HostPort;

/**
 * The admin API on its own: a stand-in queue answers on the admin address, and a real HTTP client
 * knocks on the door with and without the token.
 */
@ExtendWith(VertxExtension.class)
class AdminBridgeTest {

  @TempDir
  Path dataDir;

  private final List<QueueAdminRequest> seen = new CopyOnWriteArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();
  private AdminBridge bridge;
  private MessageConsumer<QueueAdminRequest> queue;
  private String token;

  @BeforeEach
  void start(Vertx vertx) throws Exception {
    Contracts.register(vertx);
    queue = vertx.eventBus().<QueueAdminRequest>localConsumer(QueueAdminRequest.ADDRESS, m -> {
      seen.add(m.body());
      if (m.body().target().equals("0123456789ABCDEF")) {
        m.fail(404, "no message with queue id 0123456789ABCDEF in the queue");
      } else {
        m.reply(new QueueAdminReply(new JsonObject().put("changed", new JsonArray().add("01A20BBE99703C22"))));
      }
    });
    queue.completion().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    var registry = new io.micrometer.prometheusmetrics.PrometheusMeterRegistry(
        io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT);
    registry.counter("postern_test_events").increment(2);
    bridge = new AdminBridge(new HostPort("127.0.0.1", 0), dataDir.resolve("data"), registry, null, null,
        new org.postern.node.cluster.ClusterMetrics(vertx, null, "mx.test", registry));
    vertx.deployVerticle(bridge).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    token = Files.readString(dataDir.resolve("data/admin.token")).strip();
  }

  private HttpResponse<String> post(String authorization, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + bridge.port() + "/queue"))
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void theTokenIsRandomAndReadableByTheOwnerOnly() throws Exception {
    assertTrue(token.matches("[0-9a-f]{64}"), token);
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dataDir.resolve("data/admin.token"))));
  }

  @Test
  void withoutTheTokenNothingReachesTheQueue() throws Exception {
    String body = "{\"action\":\"delete\",\"target\":\"ALL\"}";
    for (String auth : new String[] {null, "Bearer ", "Bearer " + token.substring(1) + "0", "Basic " + token, token}) {
      HttpResponse<String> r = post(auth, body);
      assertEquals(401, r.statusCode(), String.valueOf(auth));
      assertTrue(new JsonObject(r.body()).getString("error").startsWith("missing or wrong admin token"), r.body());
    }
    assertEquals(List.of(), seen);
  }

  @Test
  void aRequestIsValidatedAndForwardedAndItsAnswerReturned() throws Exception {
    HttpResponse<String> r = post("Bearer " + token, "{\"action\":\"hold\",\"target\":\"@Example.NET\"}");
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""));
    assertEquals(new JsonObject().put("changed", new JsonArray().add("01A20BBE99703C22")), new JsonObject(r.body()));
    assertEquals(List.of(new QueueAdminRequest(QueueAdminRequest.Action.HOLD, "@example.net")), seen);

    r = post("Bearer " + token, "{\"action\":\"show\",\"target\":\"0123456789ABCDEF\"}");
    assertEquals(404, r.statusCode());
    assertEquals("no message with queue id 0123456789ABCDEF in the queue", new JsonObject(r.body()).getString("error"));

    r = post("Bearer " + token, "{\"action\":\"delete\",\"target\":\"../../etc/passwd\"}");
    assertEquals(400, r.statusCode());
    assertTrue(new JsonObject(r.body()).getString("error").startsWith("expected a queue id (16 hex digits), @domain or ALL"));
    r = post("Bearer " + token, "not json");
    assertEquals(400, r.statusCode());
    r = post("Bearer " + token, "{\"action\":\"purge\",\"target\":\"ALL\"}");
    assertEquals(400, r.statusCode());
    assertEquals(2, seen.size(), "nothing invalid reached the queue");
  }

  @Test
  void aStandaloneNodesClusterPageIsItsOwnLabelledTheSameWay() throws Exception {
    HttpResponse<String> own = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + bridge.port() + "/metrics"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertTrue(own.body().contains("\npostern_test_events_total 2.0\n"), own.body());
    HttpResponse<String> page = http.send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + bridge.port() + "/metrics/cluster")).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, page.statusCode());
    assertTrue(page.body().contains("\npostern_test_events_total{node=\"mx.test\"} 2.0\n"), page.body());
    assertTrue(page.body().endsWith("postern_cluster_member_up{node=\"mx.test\"} 1\n"), page.body());
  }

  @Test
  void withoutAQueueOnTheNodeTheAnswerSaysSo() throws Exception {
    queue.unregister().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    HttpResponse<String> r = post("Bearer " + token, "{\"action\":\"list\",\"target\":\"ALL\"}");
    assertEquals(503, r.statusCode());
    assertEquals("the queue service is not running on this node", new JsonObject(r.body()).getString("error"));
  }

  @Test
  void theAdminAddressIsALoopbackIpLiteralUnlessAllowed() throws Exception {
    assertEquals(new HostPort("127.0.0.1", 2580), ConfigLoader.load(null, List.of()).node().adminListen());
    assertEquals(new HostPort("::1", 2581), ConfigLoader.load(null, List.of("node.admin_listen=[::1]:2581")).node().adminListen());
    assertNull(ConfigLoader.load(null, List.of("node.admin_listen=")).node().adminListen(), "empty: no admin API");
    ConfigException e = assertThrows(ConfigException.class,
        () -> ConfigLoader.load(null, List.of("node.admin_listen=0.0.0.0:2580")));
    assertEquals(List.of("--set: node.admin_listen: 0.0.0.0 is not a loopback address; the admin API controls the"
        + " queue, so set node.admin_allow_remote = yes to listen there"), e.problems());
    assertEquals(new HostPort("192.0.2.1", 2580), ConfigLoader.load(null,
        List.of("node.admin_listen=192.0.2.1:2580", "node.admin_allow_remote=yes")).node().adminListen());
    e = assertThrows(ConfigException.class, () -> ConfigLoader.load(null, List.of("node.admin_listen=localhost:2580")));
    assertEquals(List.of("--set: node.admin_listen: expected an IP literal such as 127.0.0.1:2580 or [::1]:2580, got"
        + " 'localhost:2580'"), e.problems());
  }

  @Test
  void theListReadsLikeMailq() {
    JsonObject result = new JsonObject("""
        {"messages": [
          {"queueId": "01A20BBE99703C22", "arrival": "2026-11-24T04:09:30.238Z", "size": 507, "sender": "a@example.org",
           "state": "deferred", "attempts": 1, "nextAttempt": "2026-11-24T04:14:30Z", "recipients": [
             {"address": "b@example.net", "domain": "example.net", "lastReply": "451 4.4.1 connect to 127.0.0.1:9 failed",
              "relay": "none"},
             {"address": "x@example.net", "domain": "example.net", "lastReply": "451 4.4.1 connect to 127.0.0.1:9 failed",
              "relay": "none"}]},
          {"queueId": "01A20BBE9A3582C7", "arrival": "2026-11-24T04:09:31Z", "size": 1600, "sender": "",
           "state": "held", "attempts": 0, "nextAttempt": null, "recipients": [
             {"address": "d@example.com", "domain": "example.com", "lastReply": null, "relay": null}]}],
         "counts": {"total": 2, "active": 0, "deferred": 1, "held": 1, "octets": 2107},
         "destinations": {"example.com": {"messages": 1, "recipients": 1},
                          "example.net": {"messages": 1, "recipients": 2}}}
        """);
    assertEquals("""
        -Queue ID-        --Size-- ----Arrival Time---- -Sender/Recipient-------
        01A20BBE99703C22       507 Tue Nov 24 04:09:30  a@example.org
                                                        (451 4.4.1 connect to 127.0.0.1:9 failed)
                                                        b@example.net
                                                        x@example.net

        01A20BBE9A3582C7!     1600 Tue Nov 24 04:09:31  MAILER-DAEMON
                                                        d@example.com

        -- 3 Kbytes in 2 Requests (0 active, 1 deferred, 1 held); destinations: example.com 1, example.net 1.
        """, new MailqFormat(ZoneOffset.UTC).list(result));
    assertEquals("Mail queue is empty\n", new MailqFormat(ZoneOffset.UTC).list(new JsonObject()
        .put("messages", new JsonArray())));
  }

  @Test
  void showListsEachAttemptWithItsTls() {
    JsonObject result = new JsonObject("""
        {"message": {"queueId": "01A20BBE99703C22", "arrival": "2026-11-24T04:09:30Z", "size": 507,
          "sender": "a@example.org", "state": "deferred", "attempts": 2, "nextAttempt": "2026-11-24T04:19:30Z",
          "recipients": [{"address": "b@example.net", "domain": "example.net", "status": "pending",
            "lastReply": "451 4.3.0 try later", "relay": "mx.example.net[192.0.2.1]:25"}],
          "envelope": {"sender": "a@example.org", "recipients": ["b@example.net"],
            "client": {"ip": "192.0.2.9", "helo": "client.example", "protocol": "ESMTP", "tls": null}},
          "headers": "Subject: s\\r\\n", "headersTruncated": false,
          "history": [
            {"at": "2026-11-24T04:09:31Z", "relay": "none", "tls": null, "results": [
              {"recipient": "b@example.net", "status": "deferred", "reply": "451 4.4.1 connect to mx.example.net failed"}]},
            {"at": "2026-11-24T04:14:31Z", "relay": "mx.example.net[192.0.2.1]:25", "tls": {"version": "TLSv1.3",
              "cipher": "TLS_AES_256_GCM_SHA384", "bits": 256, "verify": "FAIL", "peerSubject": "CN=mx.example.net",
              "peerIssuer": "CN=mx.example.net"}, "results": [
              {"recipient": "b@example.net", "status": "deferred", "reply": "451 4.3.0 try later"}]}]}}
        """);
    String text = new MailqFormat(ZoneOffset.UTC).show(result);
    assertTrue(text.contains("""
        Attempts since the node started:
          Tue Nov 24 04:09:31 relay=none, tls=none
            <b@example.net>: deferred (451 4.4.1 connect to mx.example.net failed)
          Tue Nov 24 04:14:31 relay=mx.example.net[192.0.2.1]:25, tls=TLSv1.3/TLS_AES_256_GCM_SHA384/256/FAIL
            <b@example.net>: deferred (451 4.3.0 try later)
        """), text);
  }
}
