package org.postern.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.ssl.OpenSslSession;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.postern.config.ConfigLoader;
import org.postern.config.Listener;
import org.postern.config.TlsConfig;
import org.postern.smtp.TlsFacts;
import org.postern.smtp.Verify;

/**
 * The engine Postern asks for is the engine that runs the handshake: a plaintext connection is
 * upgraded in place, as STARTTLS does, and the server's SSL session must be BoringSSL's.
 */
@ExtendWith(VertxExtension.class)
class TlsEngineHandshakeTest {

  @TempDir
  Path dir;

  /**
   * Held for the test's duration: Vert.x closes a server or client that becomes unreachable (a
   * Cleaner), which a GC during the handshake would otherwise do.
   */
  private NetServer server;
  private NetClient client;

  @Test
  void openSslEngineIsAvailableAndChosen() {
    TlsEngine engine = TlsEngine.choose("openssl");
    assertTrue(engine.isOpenSsl(), engine.description());
    assertTrue(!engine.fellBack());
    assertTrue(engine.description().startsWith("OpenSSL (BoringSSL"), engine.description());
  }

  @Test
  void upgradeInPlaceRunsOnBoringSsl(Vertx vertx, VertxTestContext ctx) throws Exception {
    handshake(vertx, TlsEngine.choose("openssl")).onComplete(ctx.succeeding(session -> ctx.verify(() -> {
      assertInstanceOf(OpenSslSession.class, session, "server session class: " + session.getClass());
      TlsFacts facts = SessionFacts.of(session, Verify.NOT);
      assertEquals("TLSv1.3", facts.version());
      assertTrue(facts.cipherBits() >= 128, facts.toString());
      assertEquals(Verify.NOT, facts.verify());
      ctx.completeNow();
    })));
  }

  @Test
  void jdkEngineWhenAskedFor(Vertx vertx, VertxTestContext ctx) throws Exception {
    handshake(vertx, TlsEngine.choose("jdk")).onComplete(ctx.succeeding(session -> ctx.verify(() -> {
      assertTrue(!(session instanceof OpenSslSession), "JDK engine must not produce an OpenSSL session");
      assertEquals("TLSv1.3", session.getProtocol());
      ctx.completeNow();
    })));
  }

  /**
   * Connects in plaintext and upgrades both sides as STARTTLS does: the client asks, the server
   * answers "220" and upgrades. The client speaks first, so its handler is in place before the
   * server's reply can arrive (a NetSocket drops data that arrives before it has a handler).
   * Returns the server's SSL session.
   */
  private Future<SSLSession> handshake(Vertx vertx, TlsEngine engine) throws Exception {
    TlsConfig tls = ConfigLoader.load(null, List.of()).tls();
    var serverTls = ServerTls.options(ServerCredentials.loadAll(tls, dir, "mx.postern.test"), tls,
        Listener.ClientCerts.NONE, Duration.ofSeconds(10));
    Promise<SSLSession> serverSession = Promise.promise();
    server = vertx.createNetServer(new NetServerOptions().setHost("127.0.0.1").setPort(0)
        .setSslEngineOptions(engine.options()));
    client = vertx.createNetClient(new NetClientOptions().setSslEngineOptions(engine.options()));
    return server
        .connectHandler(s -> s.handler(command -> {
          s.handler(null);
          s.upgradeToSsl(serverTls, null, Buffer.buffer("220 go\r\n"))
              .onSuccess(v -> serverSession.tryComplete(s.sslSession()))
              .onFailure(serverSession::tryFail);
        }))
        .listen()
        .compose(listening -> client.connect(listening.actualPort(), "127.0.0.1"))
        .compose(socket -> starttls(socket).compose(v -> socket.upgradeToSsl(
            ClientTls.opportunistic(List.of("TLSv1.2", "TLSv1.3"), Duration.ofSeconds(10)), "mx.postern.test")))
        .compose(v -> serverSession.future());
  }

  /** Sends the command and completes when the server's reply arrives. */
  private static Future<Void> starttls(NetSocket client) {
    Promise<Void> reply = Promise.promise();
    client.handler(b -> reply.tryComplete());
    return client.write("STARTTLS\r\n").compose(v -> reply.future());
  }
}
