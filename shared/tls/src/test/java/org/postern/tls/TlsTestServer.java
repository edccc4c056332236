package org.postern.tls;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.vertx.core.Vertx;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.ServerSSLOptions;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import javax.net.ssl.SSLSession;

/**
 * A TLS server on 127.0.0.1 for handshake tests: every connection is upgraded at once with the
 * options under test (so plain {@code openssl s_client -connect} works), the outcome is read on
 * the event loop (while the session is alive) and queued for the test thread. Connections stay
 * open until the client closes them or the server is closed.
 *
 * @param <T> what the test wants from each session, e.g. its {@code TlsFacts}
 */
final class TlsTestServer<T> implements AutoCloseable {

  /** One connection's outcome: the value read from the session, or the handshake's failure. */
  record Outcome<T>(T value, Throwable failure, String indicatedServerName) {
    T success() {
      if (failure != null) {
        throw new AssertionError("server-side handshake failed: " + failure, failure);
      }
      return value;
    }

    Throwable failed() {
      if (failure == null) {
        throw new AssertionError("server-side handshake succeeded, expected a failure: " + value);
      }
      return failure;
    }
  }

  private final NetServer server;
  private final BlockingQueue<Outcome<T>> outcomes = new LinkedBlockingQueue<>();

  private TlsTestServer(Vertx vertx, TlsEngine engine, ServerSSLOptions options, Function<SSLSession, T> read)
      throws Exception {
    server = vertx.createNetServer(new NetServerOptions().setHost("127.0.0.1").setPort(0)
            .setSslEngineOptions(engine.options()))
        .connectHandler(socket -> socket.upgradeToSsl(options).onComplete(ar -> {
          if (ar.succeeded()) {
            Outcome<T> o;
            try {
              o = new Outcome<>(read.apply(socket.sslSession()), null, socket.indicatedServerName());
            } catch (RuntimeException e) {
              o = new Outcome<>(null, e, socket.indicatedServerName());
            }
            outcomes.add(o);
          } else {
            outcomes.add(new Outcome<>(null, ar.cause(), null));
          }
          // The client closes, as after a real STARTTLS. Closing here right after the server's
          // side of a TLS 1.3 handshake can abort a JDK client that has not yet registered its
          // own completion (JDK-8240871); close() below ends whatever is left.
        }));
    server.listen().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  static <T> TlsTestServer<T> start(Vertx vertx, TlsEngine engine, ServerSSLOptions options,
      Function<SSLSession, T> read) throws Exception {
    return new TlsTestServer<>(vertx, engine, options, read);
  }

  int port() {
    return server.actualPort();
  }

  /** The next connection's outcome; fails the test when none arrives within 10 s. */
  Outcome<T> next() throws InterruptedException {
    Outcome<T> o = outcomes.poll(10, TimeUnit.SECONDS);
    assertNotNull(o, "no connection reached the server's handshake within 10 s");
    return o;
  }

  /** Closes the server and every connection still open; waits up to 10 s. */
  @Override
  public void close() throws ExecutionException, TimeoutException {
    try {
      server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      // Not declared, so try-with-resources needs no InterruptedException handling (javac lint).
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while closing the test server", e);
    }
  }
}
