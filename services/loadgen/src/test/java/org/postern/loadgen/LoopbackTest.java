package org.postern.loadgen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

class LoopbackTest {

  @ParameterizedTest
  @ValueSource(strings = {"127.0.0.1:25", "127.3.2.1:2525", "[::1]:25", "localhost:25"})
  void acceptsLoopback(String target) {
    Loopback.target(target);
  }

  @ParameterizedTest
  @ValueSource(strings = {"10.0.0.1:25", "192.168.1.1:25", "8.8.8.8:25", "[2001:db8::1]:25", "0.0.0.0:25",
      "mx.example.com:25", "127.0.0.1", "127.0.0.1:99999", "::1:25"})
  void refusesEverythingElse(String target) {
    assertThrows(IllegalArgumentException.class, () -> Loopback.target(target));
  }

  @Test
  void theCommandRefusesANonLoopbackTargetBeforeConnecting() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream old = System.err;
    int code;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      code = new CommandLine(new LoadgenCommand()).execute("--target", "192.0.2.1:25", "--messages", "1");
    } finally {
      System.setErr(old);
    }
    assertEquals(2, code);
    assertEquals("postern loadgen: 192.0.2.1 is not a loopback address: load may only go to 127.0.0.0/8 or ::1",
        err.toString(StandardCharsets.UTF_8).strip());
  }

  @Test
  void theCommandRefusesANonLoopbackSource() {
    int code = new CommandLine(new LoadgenCommand()).setErr(new java.io.PrintWriter(new java.io.StringWriter()))
        .execute("--target", "127.0.0.1:25", "--source", "127.0.0.2,10.1.1.1");
    assertEquals(2, code);
  }

  @Test
  void starttlsShares() {
    assertEquals(100, LoadgenCommand.starttlsPercent("always"));
    assertEquals(0, LoadgenCommand.starttlsPercent("never"));
    assertEquals(50, LoadgenCommand.starttlsPercent("50"));
    assertEquals(25, LoadgenCommand.starttlsPercent("25%"));
    LoadSettings s = new LoadSettings().starttlsPercent(50);
    long tls = 0;
    for (int i = 0; i < 1000; i++) {
      tls += s.usesTls(i) ? 1 : 0;
    }
    assertEquals(500, tls);
  }
}
