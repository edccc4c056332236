package org.postern.inbound;

import io.vertx.core.net.NetServer;
import java.lang.reflect.Field;
import java.util.logging.Logger;

/**
 * Works around a Vert.x 5.1.5 defect so that STARTTLS works on every event loop of a listener.
 *
 * <p>Several verticle instances listening on the same port share one socket: the first server
 * binds, the others only receive connections. Vert.x 5.1.5 creates the SSL context manager in the
 * binding server alone, but hands each accepted connection the manager of the server that
 * receives it, so {@code upgradeToSsl} on a connection received by any other server fails with a
 * NullPointerException. Giving those servers the binding server's manager (thread-safe, and the
 * one they would share if Vert.x did it) fixes it. Vert.x 5.2 restructured this code; remove this
 * class when the project moves to it.
 *
 * <p>If the fields are not where this version keeps them, {@link #available()} says so and the
 * listener runs on one event loop, which needs no fix.
 */
final class SharedPortTls {

  private static final Logger LOG = Logger.getLogger("postern.inbound");
  private static final Field ACTUAL_SERVER;
  private static final Field MANAGER;

  static {
    Field actual = null;
    Field manager = null;
    try {
      Class<?> impl = Class.forName("io.vertx.core.net.impl.tcp.NetServerImpl");
      actual = impl.getDeclaredField("actualServer");
      manager = impl.getDeclaredField("sslContextManager");
      actual.setAccessible(true);
      manager.setAccessible(true);
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.fine(() -> "shared-port TLS fix unavailable: " + e);
      actual = null;
      manager = null;
    }
    ACTUAL_SERVER = actual;
    MANAGER = manager;
  }

  private SharedPortTls() {}

  /** Whether a listener can safely run on several event loops. */
  static boolean available() {
    return ACTUAL_SERVER != null;
  }

  /** Call once the server listens. Returns false if it could not be fixed (then STARTTLS there fails). */
  static boolean apply(NetServer server) {
    if (!available()) {
      return false;
    }
    try {
      Object actual = ACTUAL_SERVER.get(server);
      if (actual == null || actual == server || MANAGER.get(server) != null) {
        return true;
      }
      MANAGER.set(server, MANAGER.get(actual));
      return MANAGER.get(server) != null;
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.warning("shared-port TLS fix failed: " + e);
      return false;
    }
  }
}
