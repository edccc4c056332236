package org.postern.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.postern.smtp.Reply;
import org.postern.smtp.TlsFacts;
import org.postern.smtp.Verify;

/** sendmail's VERIFY / ENCR requirements against sessions, with sendmail's replies. */
class TlsRequirementTest {

  static TlsFacts tls(Verify v, int bits) {
    return new TlsFacts("TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", bits, bits, v, "", "", "", "");
  }

  static Stream<Arguments> cases() {
    return Stream.of(
        // The seeds: TLS_Clt:desktop.example.net VERIFY:128 and TLS_Srv:server1.example.net ENCR:256.
        Arguments.of("VERIFY:128", tls(Verify.OK, 128), null),
        Arguments.of("VERIFY:128", tls(Verify.OK, 256), null),
        Arguments.of("VERIFY:128", tls(Verify.OK, 112), "403 4.7.0 encryption too weak 112 less than 128"),
        Arguments.of("VERIFY:128", tls(Verify.FAIL, 256), "403 4.7.0 authentication failed"),
        Arguments.of("VERIFY:128", tls(Verify.NO, 256), "403 4.7.0 not authenticated"),
        Arguments.of("VERIFY:128", tls(Verify.NOT, 256), "403 4.7.0 no authentication requested"),
        Arguments.of("VERIFY:128", null, "403 4.7.0 other side does not support STARTTLS"),
        Arguments.of("ENCR:256", tls(Verify.FAIL, 256), null),
        Arguments.of("ENCR:256", tls(Verify.NO, 128), "403 4.7.0 encryption too weak 128 less than 256"),
        Arguments.of("PERM+ENCR:256", tls(Verify.NO, 128), "503 5.7.0 encryption too weak 128 less than 256"),
        Arguments.of("TEMP+ENCR:256", tls(Verify.NO, 128), "403 4.7.0 encryption too weak 128 less than 256"),
        Arguments.of("PERM+VERIFY", tls(Verify.FAIL, 256), "503 5.7.0 authentication failed"),
        Arguments.of("VERIFY", tls(Verify.OK, 0), null),
        Arguments.of("ENCR:112", null, "403 4.7.0 encryption too weak 0 less than 112"));
  }

  @ParameterizedTest(name = "{0} vs {1} -> {2}")
  @MethodSource("cases")
  void check(String requirement, TlsFacts session, String expected) {
    Reply r = TlsRequirement.parse(requirement).check(session);
    if (expected == null) {
      assertNull(r, () -> "expected acceptance, got " + r);
    } else {
      assertEquals(expected, r.toString());
    }
  }

  /** sendmail's TLS_connection for a STARTTLS step that gave no session (seed 004's values). */
  static Stream<Arguments> withoutASession() {
    return Stream.of(
        Arguments.of("VERIFY", Verify.TEMP, "403 4.7.0 authentication failure TEMP"),
        Arguments.of("PERM+VERIFY", Verify.TEMP, "503 5.7.0 authentication failure TEMP"),
        Arguments.of("ENCR:128", Verify.TEMP, "403 4.7.0 encryption too weak 0 less than 128"),
        Arguments.of("VERIFY", Verify.PROTOCOL, "403 4.7.0 STARTTLS failed."),
        Arguments.of("PERM+ENCR:128", Verify.PROTOCOL, "503 5.7.0 STARTTLS failed."),
        Arguments.of("VERIFY", Verify.SOFTWARE, "403 4.7.0 TLS handshake failed."),
        Arguments.of("PERM+VERIFY:128+CN", Verify.SOFTWARE, "503 5.7.0 TLS handshake failed."),
        Arguments.of("VERIFY", Verify.NONE, "403 4.7.0 other side does not support STARTTLS"));
  }

  @ParameterizedTest(name = "{0} vs verify={1} -> {2}")
  @MethodSource("withoutASession")
  void checkWithoutASession(String requirement, Verify verify, String expected) {
    assertEquals(expected, String.valueOf(TlsRequirement.parse(requirement).check(null, verify, "mx.example.net")));
  }

  @ParameterizedTest
  @MethodSource("bad")
  void malformedRequirementsAreRefused(String text) {
    assertThrows(IllegalArgumentException.class, () -> TlsRequirement.parse(text));
  }

  static Stream<String> bad() {
    return Stream.of("ENCR", "ENCR:x", "VERIFY:128:2", "SOMETIMES", "PERM+", "ENCR:2048");
  }
}
