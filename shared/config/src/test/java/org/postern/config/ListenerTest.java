package org.postern.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The listener syntax, its client-certificate default, and the text a push carries back. */
class ListenerTest {

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "127.0.0.1:25 may                | REQUEST | 127.0.0.1:25 may",
      "127.0.0.1:25 required           | REQUEST | 127.0.0.1:25 required",
      "127.0.0.1:25 none               | NONE    | 127.0.0.1:25 none",
      "127.0.0.1:25 may ccert=none     | NONE    | 127.0.0.1:25 may ccert=none",
      "127.0.0.1:25 may ccert=request  | REQUEST | 127.0.0.1:25 may",
      "[::1]:587 required ccert=require | REQUIRE | [::1]:587 required ccert=require",
      "127.0.0.1:25 none ccert=none    | NONE    | 127.0.0.1:25 none",
  })
  void aListenerThatOffersStarttlsAsksForACertificateUnlessToldNot(String text, Listener.ClientCerts mode,
      String canonical) {
    Listener l = Listener.parse(text);
    assertEquals(mode, l.clientCerts());
    assertEquals(canonical, l.toString());
    assertEquals(l, Listener.parse(l.toString()));
  }

  @Test
  void askingWithoutStarttlsIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Listener.parse("127.0.0.1:25 none ccert=request"));
    assertEquals("ccert=request needs tls may or required", e.getMessage());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "127.0.0.1:25 may proxy=v2                | V2   | 127.0.0.1:25 may proxy=v2",
      "127.0.0.1:25 may proxy=V1 ccert=none     | V1   | 127.0.0.1:25 may ccert=none proxy=v1",
      "127.0.0.1:25 none proxy=none             | NONE | 127.0.0.1:25 none",
  })
  void aListenerMayExpectAProxyHeader(String text, Listener.Proxy proxy, String canonical) {
    Listener l = Listener.parse(text);
    assertEquals(proxy, l.proxy());
    assertEquals(canonical, l.toString());
    assertEquals(l, Listener.parse(l.toString()));
  }

  @Test
  void anUnknownProxyVersionOrARepeatedOptionIsRefused() {
    assertEquals("proxy must be v1, v2 or none, got 'v3'",
        assertThrows(IllegalArgumentException.class, () -> Listener.parse("127.0.0.1:25 may proxy=v3")).getMessage());
    assertThrows(IllegalArgumentException.class, () -> Listener.parse("127.0.0.1:25 may proxy=v1 proxy=v2"));
  }
}
