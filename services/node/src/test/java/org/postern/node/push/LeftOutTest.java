package org.postern.node.push;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.postern.bus.ConfigPush;
import org.postern.bus.ConfigPushResult;
import org.postern.bus.ConfigPushResult.Outcome;
import org.postern.bus.Contracts;
import org.postern.bus.Decision;
import org.postern.bus.SessionCheck;
import org.postern.bus.SessionPolicy;
import org.postern.config.ConfigLoader;
import org.postern.config.PosternConfig;
import org.postern.policy.PolicyVerticle;
import org.postern.tls.TlsEngine;

/**
 * A push that leaves out part of the configuration in force is refused, says what it would
 * change, and changes nothing, unless it says replace. One node's config-push and policy
 * verticles on a plain Vert.x; what is in force is observed by asking policy about a client.
 */
@ExtendWith(VertxExtension.class)
class LeftOutTest {

  private static final String KEY_NAME = "ops";

  @TempDir
  Path dir;

  private PrivateKey key;
  private String keyId;
  private Path accessFile;

  @BeforeEach
  void deploy(Vertx vertx) throws Exception {
    Contracts.register(vertx);
    keyId = OperatorKeys.id(OperatorKeys.generate(dir.resolve("keys"), KEY_NAME));
    key = OperatorKeys.readPrivate(dir.resolve("keys").resolve(KEY_NAME + ".key"));
    accessFile = Files.writeString(dir.resolve("access"), "Connect:127.0.0.1 REJECT\n");
    PosternConfig base = ConfigLoader.load(null, List.of("node.data_dir=" + dir.resolve("data"),
        "policy.access_map=" + accessFile, "policy.relay_domains=example.net",
        // What is in force must come from the pushes alone, not from the file watcher as well.
        "policy.reload_interval=0"));
    PolicyVerticle policy = new PolicyVerticle(base.policy());
    vertx.deployVerticle(policy).await(20, TimeUnit.SECONDS);
    vertx.deployVerticle(new ConfigPushVerticle("node-a", base, List.of(dir.resolve("keys") + "/*.pub"), policy, null,
        TlsEngine.choose(base.tls().engine()))).await(20, TimeUnit.SECONDS);
  }

  @Test
  void anEmptyPushWouldDropTheNodesOwnAccessMapAndIsRefused(Vertx vertx) throws Exception {
    assertEquals(Decision.REJECT, loopback(vertx), "the node's own access map rejects 127.0.0.1");

    ConfigPushResult r = push(vertx, bundle(1, text("empty.conf", ""), null, false));
    assertEquals(Outcome.REFUSED, r.outcome(), r.toString());
    assertEquals(List.of("the push has no access map, but this node's own policy.access_map (" + accessFile
        + ") is in force: it would be removed, leaving no access map; push it again with --policy-access FILE (an"
        + " empty file to remove its rules), or give --replace to push exactly these files"), r.problems());
    assertEquals(0, r.version());
    assertEquals(Decision.REJECT, loopback(vertx), "nothing changed");

    ConfigPushResult replaced = push(vertx, bundle(1, text("empty.conf", ""), null, true));
    assertEquals(Outcome.APPLIED, replaced.outcome(), replaced.toString());
    assertEquals(Decision.ACCEPT, loopback(vertx), "asked for explicitly, the access map is gone");
  }

  @Test
  void aPartialPushSaysWhichPushedSettingsAndMapsItWouldDrop(Vertx vertx) throws Exception {
    ConfigPushResult first = push(vertx, bundle(1, text("live.conf",
        "policy.relay_domains = example.org\ninbound.max_recipients = 500\n"), text("access", "Connect:127.0.0.1 REJECT\n"),
        false));
    assertEquals(Outcome.APPLIED, first.outcome(), first.toString());

    ConfigPushResult partial = push(vertx, bundle(2, text("live.conf", "policy.relay_domains = example.org\n"), null,
        false));
    assertEquals(Outcome.REFUSED, partial.outcome(), partial.toString());
    assertEquals(2, partial.problems().size(), partial.problems().toString());
    assertTrue(partial.problems().get(0).startsWith("the push has no access map, but the access of version 1 is in"
        + " force: it would be removed"), partial.problems().toString());
    assertEquals("the push leaves out inbound.max_recipients, which version 1 set: it would return to this node's own"
        + " value; push it again, or give --replace to push exactly these files", partial.problems().get(1));
    assertEquals(1, partial.version(), "version 1 stays in force");
    assertEquals(Decision.REJECT, loopback(vertx));

    // A push with every part in force, changed or not, is no accident.
    ConfigPushResult whole = push(vertx, bundle(2, text("live.conf", "policy.relay_domains = example.org\n"
        + "inbound.max_recipients = 600\n"), text("access", ""), false));
    assertEquals(Outcome.APPLIED, whole.outcome(), whole.toString());
    assertEquals(Decision.ACCEPT, loopback(vertx));
  }

  private ConfigPush bundle(long version, ConfigPush.Text settings, ConfigPush.Text access, boolean replace) {
    return PushSignature.sign(new ConfigPush(version, keyId, System.currentTimeMillis(), settings, access, null, null,
        "", "", replace), key);
  }

  private static ConfigPush.Text text(String name, String text) {
    return new ConfigPush.Text(name, text);
  }

  private static ConfigPushResult push(Vertx vertx, ConfigPush push) throws Exception {
    String replyTo = "postern.config.replies." + UUID.randomUUID();
    Promise<ConfigPushResult> answer = Promise.promise();
    vertx.eventBus().<ConfigPushResult>consumer(replyTo, m -> answer.tryComplete(m.body())).completion()
        .await(10, TimeUnit.SECONDS);
    vertx.eventBus().publish(ConfigPush.ADDRESS, push.withReplyTo(replyTo));
    return answer.future().await(20, TimeUnit.SECONDS);
  }

  private static Decision loopback(Vertx vertx) throws Exception {
    Future<SessionPolicy> answer = Contracts.request(vertx, SessionCheck.ADDRESS,
        new SessionCheck("127.0.0.1", null, false), java.time.Duration.ofSeconds(10), SessionPolicy.class);
    return answer.await(15, TimeUnit.SECONDS).decision();
  }
}
