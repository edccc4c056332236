package org.postern.outbound;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.ConnectException;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

/** Failure reasons are sentences for a postmaster: no Java class names, never "null". */
class RepliesTest {

  @Test
  void aClosedChannelWithoutAMessageIsSaidInWords() {
    // Netty's StacklessClosedChannelException has no message: its class name used to be the reason.
    assertEquals("the connection was closed by the other side",
        Replies.reason(new ClosedChannelException() {}));
    assertEquals("the connection was closed by the other side",
        Replies.reason(new SSLHandshakeException("") {{ initCause(new ClosedChannelException()); }}));
  }

  @Test
  void classNamesInFrontOfAMessageGo() {
    assertEquals("Received fatal alert: handshake_failure", Replies.reason(new SSLHandshakeException(
        "javax.net.ssl.SSLHandshakeException: io.netty.handler.ssl.SomeError: Received fatal alert: handshake_failure")));
    assertEquals("the server answered with something that is not TLS", Replies.reason(new IOException(
        "io.netty.handler.ssl.NotSslRecordException: not an SSL/TLS record: 7468697320697320")));
  }

  @Test
  void theAddressNettyAppendsGoesAndNoMessageAtAllStillSaysSomething() {
    assertEquals("Connection refused", Replies.reason(new ConnectException("Connection refused: /127.0.0.1:25")));
    assertEquals("no answer in time", Replies.reason(new TimeoutException()));
    assertEquals("it failed without giving a reason", Replies.reason(new IllegalStateException()));
  }
}
