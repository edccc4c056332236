package org.postern.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/**
 * Free TCP ports on 127.0.0.1 for peers that must be told their port before they start (a Python
 * sink cannot hand a bound socket back to the JVM). The port is free when this returns; another
 * process could still take it before the peer binds, a window tests accept.
 */
public final class FreePorts {

  private FreePorts() {}

  /** A TCP port that nothing on 127.0.0.1 is bound to at the moment of the call. */
  public static int loopback() {
    try (ServerSocket s = new ServerSocket()) {
      // No SO_REUSEADDR: on Linux it would let us pick a port still in TIME_WAIT for a listener.
      s.setReuseAddress(false);
      s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot find a free port on 127.0.0.1", e);
    }
  }
}
