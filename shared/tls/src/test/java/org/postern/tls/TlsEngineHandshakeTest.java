package org.postern.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.ssl.OpenSslSession;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClientOptions;
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

  /** Connects in plaintext, then both sides upgrade; returns the server's SSL session. */
  private Future<SSLSession> handshake(Vertx vertx, TlsEngine engine) throws Exception {
    ServerCredentials creds = ServerCredentials.loadOrCreate(
        ConfigLoader.load(null, List.of()).tls(), dir, "mx.postern.test");
    var serverTls = ServerTls.options(creds, List.of("TLSv1.2", "TLSv1.3"), Duration.ofSeconds(10));
    Promise<SSLSession> serverSession = Promise.promise();
    return vertx.createNetServer(new NetServerOptions().setHost("127.0.0.1").setPort(0).setSslEngineOptions(engine.options()))
        .connectHandler(s -> s.upgradeToSsl(serverTls, null, Buffer.buffer("220 go\r\n"))
            .onSuccess(v -> serverSession.tryComplete(s.sslSession()))
            .onFailure(serverSession::tryFail))
        .listen()
        .compose(server -> vertx.createNetClient(new NetClientOptions().setSslEngineOptions(engine.options()))
            .connect(server.actualPort(), "127.0.0.1"))
        .compose(client -> awaitLine(client).compose(v -> client.upgradeToSsl(
            ClientTls.opportunistic(List.of("TLSv1.2", "TLSv1.3"), Duration.ofSeconds(10)), "mx.postern.test")))
        .compose(v -> serverSession.future());
  }

  private static Future<Void> awaitLine(NetSocket client) {
    Promise<Void> p = Promise.promise();
    client.handler(b -> p.tryComplete());
    return p.future();
  }
}
